using System;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The <see cref="TimeProvider"/> of a <see cref="LocalExecutor"/> (<see cref="LocalExecutor.TimeProvider"/>): timers it
/// creates fire on the executor's thread from the executor's own timer heap, so code written against
/// <see cref="TimeProvider"/> (<c>Task.Delay(d, provider)</c>, <c>WaitAsync(d, provider)</c>, <c>PeriodicTimer</c>,
/// <c>CancellationTokenSource(d, provider)</c>) stays on the core. Clocks are the system's.
/// </summary>
public sealed class LocalTimeProvider : TimeProvider
{
    internal LocalTimeProvider(LocalExecutor executor) => Executor = executor;

    /// <summary>The executor whose thread runs the timer callbacks.</summary>
    public LocalExecutor Executor { get; }

    /// <inheritdoc />
    public override long TimestampFrequency => Stopwatch.Frequency;

    /// <inheritdoc />
    public override long GetTimestamp() => Stopwatch.GetTimestamp();

    /// <summary>Creates a timer whose callback runs on the executor thread (see <see cref="LocalExecutor.CreateTimer"/>).</summary>
    /// <param name="callback">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <param name="dueTime">Time to the first call.</param>
    /// <param name="period">Time between calls.</param>
    /// <returns>The timer.</returns>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Executor.CreateTimer(callback, state, dueTime, period);

    /// <inheritdoc />
    public override string ToString() => $"LocalTimeProvider({Executor.Name})";
}
