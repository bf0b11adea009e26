using System;
using System.Runtime.ExceptionServices;

namespace ThreadPerCore;

/// <summary>How one shard's body without a value ended in <see cref="LocalExecutorPool.RunOnAllShards(Func{int, System.Threading.Tasks.Task})"/>:
/// successfully, or with the exception it ended with.</summary>
public readonly struct ShardResult : IEquatable<ShardResult>
{
    internal ShardResult(int shard, Exception? exception)
    {
        Shard = shard;
        Exception = exception;
    }

    /// <summary>The shard's index in the pool.</summary>
    public int Shard { get; }

    /// <summary>The exception the shard's body ended with (an <see cref="OperationCanceledException"/> when it was
    /// cancelled); null when it succeeded.</summary>
    public Exception? Exception { get; }

    /// <summary>True when the body ran to completion.</summary>
    public bool IsSuccess => Exception is null;

    /// <summary>Compares two results.</summary>
    public static bool operator ==(ShardResult left, ShardResult right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    public static bool operator !=(ShardResult left, ShardResult right) => !left.Equals(right);

    /// <summary>Rethrows <see cref="Exception"/> (with its original stack) when the body failed.</summary>
    public void ThrowIfFailed()
    {
        if (Exception is not null)
        {
            ExceptionDispatchInfo.Throw(Exception);
        }
    }

    /// <inheritdoc />
    public bool Equals(ShardResult other) => Shard == other.Shard && Equals(Exception, other.Exception);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ShardResult other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Shard, Exception);

    /// <inheritdoc />
    public override string ToString() => IsSuccess ? $"shard {Shard}: done" : $"shard {Shard}: {Exception!.GetType().Name}: {Exception.Message}";
}
