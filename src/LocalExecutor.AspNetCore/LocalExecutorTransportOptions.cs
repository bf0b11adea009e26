using System.Net.Sockets;
using ThreadPerCore.IO;

namespace ThreadPerCore.AspNetCore;

/// <summary>How <see cref="WebHostBuilderLocalExecutorExtensions.UseLocalExecutorTransport"/> listens and runs
/// connections. The defaults are those of Kestrel's Sockets transport where it has the same setting.</summary>
public sealed class LocalExecutorTransportOptions
{
    /// <summary>The executors to start when the service provider has no <see cref="LocalExecutorPool"/> registered
    /// (then the transport owns its pool and stops it when the host is disposed). Null: one pinned executor per
    /// usable CPU.</summary>
    public LocalExecutorPoolOptions? Pool { get; set; }

    /// <summary>The engine under the sockets: <see cref="SocketTransport.Auto"/> (the default) uses each executor's
    /// reactor where it has one (Linux) and .NET's asynchronous sockets elsewhere, with the same per-core behaviour;
    /// <see cref="SocketTransport.Reactor"/> fails the bind where there is no reactor.</summary>
    public SocketTransport SocketTransport { get; set; } = SocketTransport.Auto;

    /// <summary>The length of each core's queue of connections not yet accepted (Sockets: 512).</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>Disable Nagle's algorithm on accepted connections (<see cref="Socket.NoDelay"/>). True by default.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Received bytes the application has not consumed at which the connection stops reading from the socket
    /// (back pressure on the client), resuming at half of it. Null for no limit. Default 1 MiB, as Sockets.</summary>
    public long? MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>Written bytes not yet sent at which the application's flush waits, resuming at half of it. Null for no
    /// limit. Default 64 KiB, as Sockets.</summary>
    public long? MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>Wait for data before taking a buffer for it, so idle connections hold no memory. True by default.</summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>
    /// Move each connection's processing (Kestrel's HTTP/1.1 loop, the request pipeline, the endpoint and its awaits)
    /// onto the executor that accepted it, instead of the thread-pool thread Kestrel dispatches it to. True by default;
    /// false keeps Kestrel's dispatch (the app starts on the thread pool and follows the pipes' continuations onto the
    /// core only where it awaits them), for comparison.
    /// </summary>
    public bool ProcessConnectionsOnCore { get; set; } = true;

    internal ConnectionPipeOptions CreatePipeOptions() => new()
    {
        InputPauseThreshold = MaxReadBufferSize ?? long.MaxValue,
        InputResumeThreshold = (MaxReadBufferSize ?? long.MaxValue) / 2,
        OutputPauseThreshold = MaxWriteBufferSize ?? long.MaxValue,
        OutputResumeThreshold = (MaxWriteBufferSize ?? long.MaxValue) / 2,
        WaitForDataBeforeAllocatingBuffer = WaitForDataBeforeAllocatingBuffer,
    };
}
