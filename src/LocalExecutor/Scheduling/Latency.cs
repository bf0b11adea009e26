using System;

namespace ThreadPerCore;

/// <summary>
/// The latency class of a task queue. A queue whose latency <see cref="Matters"/> bounds the time slice of every
/// queue while it has work (so it waits at most about its bound for the core), and a wake into it from another
/// thread cuts the running slice short.
/// </summary>
public readonly struct Latency : IEquatable<Latency>
{
    private Latency(TimeSpan bound) => Bound = bound;

    /// <summary>Throughput work: the queue waits for the running slice to end (at most
    /// <see cref="LocalExecutorOptions.PreemptTimeSlice"/>).</summary>
    public static Latency NotImportant => default;

    /// <summary>The bound of a latency-sensitive queue; <see cref="TimeSpan.Zero"/> when latency is not important.</summary>
    public TimeSpan Bound { get; }

    /// <summary>True for a latency-sensitive queue.</summary>
    public bool IsLatencySensitive => Bound > TimeSpan.Zero;

    /// <summary>Latency matters: while the queue has work, no slice runs longer than <paramref name="bound"/>
    /// (the preemption clock has millisecond resolution, so bounds below that act as one millisecond).</summary>
    /// <param name="bound">The longest the queue should wait for the core; positive, at most one hour.</param>
    /// <returns>The latency class.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is not positive or exceeds one hour.</exception>
    public static Latency Matters(TimeSpan bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bound, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bound, TimeSpan.FromHours(1));
        return new Latency(bound);
    }

    /// <inheritdoc />
    public bool Equals(Latency other) => Bound == other.Bound;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Latency other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Bound.GetHashCode();

    /// <summary>Equality.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(Latency left, Latency right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(Latency left, Latency right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => IsLatencySensitive ? $"Matters({Bound.TotalMilliseconds} ms)" : "NotImportant";
}
