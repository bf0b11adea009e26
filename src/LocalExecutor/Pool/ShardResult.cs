using System;
using System.Runtime.ExceptionServices;

namespace ThreadPerCore;

/// <summary>What one shard's body produced in <see cref="LocalExecutorPool.RunOnAllShards{T}(Func{int, System.Threading.Tasks.Task{T}})"/>:
/// its value, or the exception it ended with.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct ShardResult<T> : IEquatable<ShardResult<T>>
{
    private readonly T _value;

    internal ShardResult(int shard, T value)
    {
        Shard = shard;
        _value = value;
        Exception = null;
    }

    internal ShardResult(int shard, Exception exception)
    {
        Shard = shard;
        _value = default!;
        Exception = exception;
    }

    /// <summary>The shard's index in the pool.</summary>
    public int Shard { get; }

    /// <summary>The exception the shard's body ended with (an <see cref="OperationCanceledException"/> when it was
    /// cancelled); null when it succeeded.</summary>
    public Exception? Exception { get; }

    /// <summary>True when the body returned a value.</summary>
    public bool IsSuccess => Exception is null;

    /// <summary>The body's value; rethrows <see cref="Exception"/> (with its original stack) when the body failed.</summary>
    public T Value
    {
        get
        {
            if (Exception is not null)
            {
                ExceptionDispatchInfo.Throw(Exception);
            }

            return _value;
        }
    }

    /// <summary>Compares two results.</summary>
    public static bool operator ==(ShardResult<T> left, ShardResult<T> right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    public static bool operator !=(ShardResult<T> left, ShardResult<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(ShardResult<T> other) =>
        Shard == other.Shard && Equals(Exception, other.Exception) && System.Collections.Generic.EqualityComparer<T>.Default.Equals(_value, other._value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ShardResult<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Shard, Exception, _value);

    /// <inheritdoc />
    public override string ToString() => IsSuccess ? $"shard {Shard}: {_value}" : $"shard {Shard}: {Exception!.GetType().Name}: {Exception.Message}";
}
