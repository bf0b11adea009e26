using System;

namespace ThreadPerCore;

/// <summary>
/// A <see cref="LocalExecutorPool"/> could not start one of its executors. The executors already started were stopped
/// before this was thrown, and none of them ran user work. <see cref="Exception.InnerException"/> says why the shard failed.
/// </summary>
public sealed class PoolStartException : Exception
{
    /// <summary>Creates the exception for a failed shard.</summary>
    /// <param name="shard">The index of the shard that failed to start.</param>
    /// <param name="placement">Where that shard was to run.</param>
    /// <param name="innerException">Why it failed.</param>
    public PoolStartException(int shard, Placement placement, Exception innerException)
        : base($"The executor pool did not start: shard {shard} ({placement}) failed: {innerException?.Message} " +
            "The shards already started were stopped; no user work ran.", innerException)
    {
        Shard = shard;
        Placement = placement;
    }

    /// <summary>Creates the exception with a message.</summary>
    public PoolStartException()
        : this("The executor pool did not start.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public PoolStartException(string message)
        : base(message)
    {
        Placement = Placement.Unbound;
        Shard = -1;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PoolStartException(string message, Exception innerException)
        : base(message, innerException)
    {
        Placement = Placement.Unbound;
        Shard = -1;
    }

    /// <summary>The index of the shard that failed to start; -1 when unknown.</summary>
    public int Shard { get; }

    /// <summary>Where the failed shard was to run.</summary>
    public Placement Placement { get; }
}
