namespace ThreadPerCore.Redis.Hosting;

/// <summary>How the server gets its bytes, and on which threads it serves them. The protocol and store code is the
/// same for all three (<see cref="RespConnection.ServeAsync"/>), so they compare on one binary.</summary>
public enum RedisTransport
{
    /// <summary>The default: <see cref="Reactor"/> when every executor has a reactor, else <see cref="Sockets"/> (not
    /// Linux, <see cref="RedisServerOptions.EnableReactor"/> off, or the reactor could not be created). The server
    /// reports the one it chose (<see cref="RedisServer.Transport"/>, INFO's <c>executor_transport</c>). No
    /// <c>--transport</c>, or <c>--transport auto</c>.</summary>
    Auto = 0,

    /// <summary>Each executor's own reactor: readiness observed and handlers run on the pinned core (issue 8's
    /// <c>src/LocalExecutor/IO</c>). A demand: the server refuses to start on executors without a reactor.
    /// <c>--transport reactor</c>.</summary>
    Reactor,

    /// <summary>.NET's sockets on the executors: an accept loop per executor on one port (<c>SO_REUSEPORT</c>), each
    /// connection served on the executor that accepted it; socket completions come back through the executor's
    /// synchronization context. <c>--transport sockets</c>.</summary>
    Sockets,

    /// <summary>The same server on the plain thread pool: one listener, shards guarded by a lock each.
    /// <c>--threadpool</c>.</summary>
    ThreadPool,
}
