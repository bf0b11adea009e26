using System;
using System.Buffers;

namespace ThreadPerCore.IO;

/// <summary>Buffering of a <see cref="LocalConnection"/>'s pipes (<see cref="LocalConnection.GetPipe"/>). The
/// schedulers are always the connection's executor.</summary>
public sealed class ConnectionPipeOptions
{
    internal static readonly ConnectionPipeOptions Default = new();

    /// <summary>The pool the pipes' buffers come from; null (the default) for the executor's own pool of 4 KiB blocks on
    /// the reactor (no allocation once warm, however many connections are ready at once), else
    /// <see cref="MemoryPool{T}.Shared"/>.</summary>
    public MemoryPool<byte>? Pool { get; init; }

    /// <summary>The least space a receive asks the input pipe for.</summary>
    public int MinimumReceiveSize { get; init; } = 4096;

    /// <summary>Wait until data arrives before taking a buffer for it (Kestrel's <c>WaitForDataBeforeAllocatingBuffer</c>),
    /// so an idle connection holds no memory: with thousands of connections, buffers held by waiting receives would
    /// outgrow the pool and be allocated anew. On the reactor this costs nothing (readiness alone says when); on .NET
    /// sockets it is a zero-byte receive before each read. True by default.</summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; init; } = true;

    /// <summary>Received bytes the application has not consumed at which the connection stops receiving (back
    /// pressure on the peer) until it falls to <see cref="InputResumeThreshold"/>.</summary>
    public long InputPauseThreshold { get; init; } = 1024 * 1024;

    /// <summary>See <see cref="InputPauseThreshold"/>.</summary>
    public long InputResumeThreshold { get; init; } = 512 * 1024;

    /// <summary>Bytes written by the application and not yet sent at which its flush waits, until they fall to
    /// <see cref="OutputResumeThreshold"/>.</summary>
    public long OutputPauseThreshold { get; init; } = 1024 * 1024;

    /// <summary>See <see cref="OutputPauseThreshold"/>.</summary>
    public long OutputResumeThreshold { get; init; } = 512 * 1024;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumReceiveSize, 1, nameof(MinimumReceiveSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InputPauseThreshold, 1, nameof(InputPauseThreshold));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InputResumeThreshold, InputPauseThreshold, nameof(InputResumeThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutputPauseThreshold, 1, nameof(OutputPauseThreshold));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(OutputResumeThreshold, OutputPauseThreshold, nameof(OutputResumeThreshold));
    }
}
