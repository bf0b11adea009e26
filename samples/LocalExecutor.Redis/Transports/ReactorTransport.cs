using System;

namespace ThreadPerCore.Redis.Transports;

/// <summary>
/// The reactor transport: an accept loop per executor on the executor's own reactor (<c>SO_REUSEPORT</c>), each
/// connection's <c>IDuplexPipe</c> completing on the core, handed to <see cref="RespConnection.ServeAsync"/> with the
/// <see cref="Sharding.ExecutorShards"/>, exactly as <see cref="SocketsTransport"/> does with .NET sockets.
/// </summary>
/// <remarks>Placeholder on this branch: the reactor (<c>src/LocalExecutor/IO</c>, issue 8) is being built alongside.
/// Merging it replaces <see cref="Start"/> with the adapter.</remarks>
internal static class ReactorTransport
{
    /// <summary>The message of a start without the reactor.</summary>
    public const string Missing =
        "The reactor transport needs LocalExecutor's per-core reactor (src/LocalExecutor/IO: a listener per executor and " +
        "connections whose IDuplexPipe completes on the core), which this build does not have yet. " +
        "Run with --transport sockets (.NET sockets on the executors) or --threadpool.";

    /// <summary>Always throws on this branch: the reactor is not there yet.</summary>
    /// <exception cref="NotSupportedException">Always, with <see cref="Missing"/>.</exception>
    public static IServerTransport Start() => throw new NotSupportedException(Missing);
}
