namespace ThreadPerCore.IO;

/// <summary>Which engine drives a <see cref="LocalConnection"/> or <see cref="LocalListener"/>.</summary>
public enum SocketTransport
{
    /// <summary>The executor's reactor when it has one (Linux), else .NET's own asynchronous sockets.</summary>
    Auto = 0,

    /// <summary>The executor's reactor: readiness is observed and every operation completes on the executor's thread,
    /// with no thread pool or inbox in between. Refused with <see cref="System.PlatformNotSupportedException"/> on an
    /// executor without a reactor.</summary>
    Reactor = 1,

    /// <summary>.NET's asynchronous sockets, as plain <c>await socket.ReceiveAsync(...)</c> on the executor would use:
    /// completions arrive on the runtime's I/O threads and come back to the executor through its inbox. The same API,
    /// for comparison and for platforms without a reactor.</summary>
    DotNetSockets = 2,
}
