using System;
using System.Net;
using System.Threading.Tasks;
using ThreadPerCore.IO;
using ThreadPerCore.Redis.Sharding;

namespace ThreadPerCore.Redis.Transports;

/// <summary>
/// The reactor transport: the library's <see cref="LocalServer"/> on the executors, so each executor has its own
/// listener (<c>SO_REUSEPORT</c>) on its own reactor, and each connection's <see cref="LocalConnection.Pipe"/> is read
/// and written on the core that accepted it with no other thread in between. The connection loop is the same
/// <see cref="RespConnection.ServeAsync"/> the other transports call.
/// </summary>
/// <remarks>The server drains itself: stopping it stops accepting, gives open connections the shutdown timeout to
/// answer what they received (their token fires), then aborts the rest.</remarks>
internal sealed class ReactorTransport : IServerTransport
{
    private readonly LocalServer _server;
    private readonly TimeSpan _shutdownTimeout;

    private ReactorTransport(LocalServer server, TimeSpan shutdownTimeout)
    {
        _server = server;
        _shutdownTimeout = shutdownTimeout;
        EndPoint = (IPEndPoint)server.EndPoint;
    }

    /// <inheritdoc />
    public IPEndPoint EndPoint { get; }

    /// <summary>How many connections are open.</summary>
    public int OpenConnections => _server.ConnectionCount;

    /// <summary>Starts a listener and an accept loop on every executor of <paramref name="pool"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">The executors have no reactor (not Linux).</exception>
    public static async Task<ReactorTransport> StartAsync(LocalExecutorPool pool, IShardAccess shards, IPEndPoint endpoint, TimeSpan shutdownTimeout)
    {
        var options = new LocalServerOptions
        {
            Listener = new LocalListenerOptions { Transport = SocketTransport.Reactor, Backlog = 1024 },
            DrainTimeout = shutdownTimeout,
        };
        LocalServer server = await LocalServer.StartAsync(
            pool,
            endpoint,
            (connection, stopping) => RespConnection.ServeAsync(connection.Pipe, shards, stopping),
            options).ConfigureAwait(false);
        return new ReactorTransport(server, shutdownTimeout);
    }

    /// <inheritdoc />
    public Task StopAcceptingAsync() => _server.StopAsync(_shutdownTimeout);
}
