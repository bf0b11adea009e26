using System;
using System.Buffers;

namespace ThreadPerCore.IO;

/// <summary>Buffering of a <see cref="LocalConnection"/>'s pipes (<see cref="LocalConnection.GetPipe"/>). The
/// schedulers are always the connection's executor.</summary>
public sealed class ConnectionPipeOptions
{
    internal static readonly ConnectionPipeOptions Default = new();

    /// <summary>The pool the pipes' buffers come from.</summary>
    public MemoryPool<byte> Pool { get; init; } = MemoryPool<byte>.Shared;

    /// <summary>The least space a receive asks the input pipe for.</summary>
    public int MinimumReceiveSize { get; init; } = 4096;

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
        ArgumentNullException.ThrowIfNull(Pool, nameof(Pool));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumReceiveSize, 1, nameof(MinimumReceiveSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InputPauseThreshold, 1, nameof(InputPauseThreshold));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InputResumeThreshold, InputPauseThreshold, nameof(InputResumeThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutputPauseThreshold, 1, nameof(OutputPauseThreshold));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(OutputResumeThreshold, OutputPauseThreshold, nameof(OutputResumeThreshold));
    }
}
