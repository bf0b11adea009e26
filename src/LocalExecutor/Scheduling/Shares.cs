using System;

namespace ThreadPerCore;

/// <summary>
/// How much CPU time a task queue gets when queues compete for the core: in proportion to its shares. A queue with
/// 1000 shares gets ten times the time of a queue with 100 while both have work; a queue alone gets the whole core.
/// </summary>
/// <remarks>
/// Shares are either static (<see cref="Static"/>, changeable at run time with
/// <see cref="LocalExecutor.SetShares(TaskQueueHandle, Shares)"/>) or asked of a provider at a fixed period
/// (<see cref="Dynamic"/>), which lets a controller steer a queue (for instance to meet deadlines).
/// </remarks>
public readonly struct Shares : IEquatable<Shares>
{
    /// <summary>The fewest shares a queue can have.</summary>
    public const int Min = 1;

    /// <summary>The most shares a queue can have, and the default.</summary>
    public const int Max = 1000;

    private readonly int _value;

    private Shares(int value, Func<int>? provider, TimeSpan period)
    {
        _value = value;
        Provider = provider;
        AdjustmentPeriod = period;
    }

    /// <summary>The default: <see cref="Max"/> static shares.</summary>
    public static Shares Default => new(Max, null, TimeSpan.Zero);

    /// <summary>The static value (1..1000); for dynamic shares, the value used until the provider is first asked.</summary>
    public int Value => _value == 0 ? Max : _value;

    /// <summary>The provider of dynamic shares; null for static shares.</summary>
    public Func<int>? Provider { get; }

    /// <summary>How often the provider of dynamic shares is asked; zero for static shares.</summary>
    public TimeSpan AdjustmentPeriod { get; }

    /// <summary>True when the shares come from a provider.</summary>
    public bool IsDynamic => Provider is not null;

    /// <summary>Fixed shares.</summary>
    /// <param name="shares">1 to 1000.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shares"/> is outside 1..1000.</exception>
    public static Shares Static(int shares)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shares, Min);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shares, Max);
        return new Shares(shares, null, TimeSpan.Zero);
    }

    /// <summary>
    /// Shares asked of <paramref name="provider"/> on the executor thread when the queue is created and then every
    /// <paramref name="adjustmentPeriod"/> (default 250 ms, as in Glommio). Values outside 1..1000 are clamped; a
    /// provider that throws keeps the last value and its exception goes to <see cref="LocalExecutor.UnhandledException"/>.
    /// </summary>
    /// <param name="provider">Returns the current shares; called on the executor thread, so it must be cheap.</param>
    /// <param name="adjustmentPeriod">How often to ask; at least one millisecond. A period too long to count in clock ticks
    /// (<see cref="TimeSpan.MaxValue"/>) means the provider is asked once, when the shares are applied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="provider"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="adjustmentPeriod"/> is below one millisecond.</exception>
    public static Shares Dynamic(Func<int> provider, TimeSpan? adjustmentPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        TimeSpan period = adjustmentPeriod ?? TimeSpan.FromMilliseconds(250);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, TimeSpan.FromMilliseconds(1), nameof(adjustmentPeriod));
        return new Shares(Max, provider, period);
    }

    /// <summary>Static shares from a number: <c>Shares s = 500;</c>.</summary>
    /// <param name="shares">1 to 1000.</param>
    public static implicit operator Shares(int shares) => Static(shares);

    /// <summary>Static shares from a number (the named alternative of the implicit conversion).</summary>
    /// <param name="shares">1 to 1000.</param>
    /// <returns>The shares.</returns>
    public static Shares FromInt32(int shares) => Static(shares);

    /// <summary>Two shares are equal when both are static with the same value, or both use the same provider.</summary>
    /// <param name="other">The other shares.</param>
    /// <returns>True when equal.</returns>
    public bool Equals(Shares other) =>
        Provider is null ? other.Provider is null && Value == other.Value : Provider == other.Provider && AdjustmentPeriod == other.AdjustmentPeriod;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shares other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Provider is null ? Value : HashCode.Combine(Provider, AdjustmentPeriod);

    /// <summary>Equality.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(Shares left, Shares right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(Shares left, Shares right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => IsDynamic ? $"Dynamic(every {AdjustmentPeriod.TotalMilliseconds} ms)" : $"Static({Value})";
}
