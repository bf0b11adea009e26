using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.Tests.Scheduling;

/// <summary>
/// Glommio's G13/G14: two queues with a busy task each share the core in proportion to their shares. CPU time is
/// read from the executor's own per-queue statistics, over a bounded run of about a second of measured CPU.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class SharesTests
{
    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(1);
    private readonly ITestOutputHelper _output;

    public SharesTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(1000, 10)]
    [InlineData(1000, 1000)]
    [InlineData(200, 800)]
    public async Task Cpu_split_between_two_busy_queues_follows_their_shares(int first, int second)
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle a = executor.CreateTaskQueue("a", first);
        TaskQueueHandle b = executor.CreateTaskQueue("b", second);
        using var stop = new CancellationTokenSource();

        (TimeSpan cpuA, TimeSpan cpuB) = await MeasureAsync(executor, a, b, stop);

        double expected = second / (double)(first + second);
        double actual = cpuB.TotalSeconds / (cpuA + cpuB).TotalSeconds;
        _output.WriteLine($"{first}:{second}: a={cpuA.TotalMilliseconds:F0} ms b={cpuB.TotalMilliseconds:F0} ms, b's part {actual:F3}, expected {expected:F3}");
        actual.Should().BeApproximately(expected, 0.1);
    }

    [Fact]
    public async Task Changing_shares_at_run_time_shifts_the_split()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle a = executor.CreateTaskQueue("a", 1000);
        TaskQueueHandle b = executor.CreateTaskQueue("b", 1000);
        using var stop = new CancellationTokenSource();
        LocalTask<int> busyA = executor.Start(a, () => BusyAsync(stop.Token));
        LocalTask<int> busyB = executor.Start(b, () => BusyAsync(stop.Token));

        (TimeSpan a1, TimeSpan b1) = await MeasureWindowAsync(a, b);
        executor.SetShares(b, 100); // from another thread: through the inbox
        await Timing.UntilAsync(() => b.CurrentShares == 100, "the new shares to apply");
        (TimeSpan a2, TimeSpan b2) = await MeasureWindowAsync(a, b);
        await stop.CancelAsync();
        await Task.WhenAll(busyA.AsTask(), busyB.AsTask()).Within("the busy tasks");

        double before = b1 / (a1 + b1);
        double after = b2 / (a2 + b2);
        _output.WriteLine($"b's part at 1000:1000 {before:F3}, after 1000:100 {after:F3} (expected 0.500 then {100 / 1100.0:F3})");
        before.Should().BeApproximately(0.5, 0.1);
        after.Should().BeApproximately(100 / 1100.0, 0.1);
    }

    [Fact]
    public async Task A_queue_that_was_idle_gets_no_credit_for_the_time_it_was_idle()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle a = executor.CreateTaskQueue("a", 1000);
        TaskQueueHandle b = executor.CreateTaskQueue("b", 1000);
        using var stop = new CancellationTokenSource();
        LocalTask<int> busyA = executor.Start(a, () => BusyAsync(stop.Token));
        await Timing.UntilAsync(() => a.GetStats().CpuTime >= TimeSpan.FromMilliseconds(500), "half a second of CPU for a alone");

        LocalTask<int> busyB = executor.Start(b, () => BusyAsync(stop.Token));
        (TimeSpan cpuA, TimeSpan cpuB) = await MeasureWindowAsync(a, b);
        await stop.CancelAsync();
        await Task.WhenAll(busyA.AsTask(), busyB.AsTask()).Within("the busy tasks");

        double part = cpuB / (cpuA + cpuB);
        _output.WriteLine($"b's part after waking up: {part:F3} (a {cpuA.TotalMilliseconds:F0} ms, b {cpuB.TotalMilliseconds:F0} ms)");
        part.Should().BeApproximately(0.5, 0.1, "b starts at the least active vruntime, not at the vruntime it had when a started");
    }

    [Fact]
    public async Task Virtual_runtimes_are_rebased_before_they_could_overflow_keeping_their_order()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle a = executor.CreateTaskQueue("a", 1);
        TaskQueueHandle b = executor.CreateTaskQueue("b", 1);
        long near = LocalExecutor.VRuntimeRebaseThreshold + 1000;

        await executor.Spawn(a, () =>
        {
            // On the core (the fields are owner-only): push both clocks past the threshold, b ahead of a.
            a.Queue.VRuntime = near;
            b.Queue.VRuntime = near + 1_000_000_000_000; // 1000 s ahead at one share
            return 0;
        }).Within("setting the clocks");
        await executor.Spawn(b, () => 0).Within("a slice of b");
        (long A, long B) after = await executor.Spawn(() => (a.Queue.VRuntime, b.Queue.VRuntime)).Within("reading the clocks");

        after.A.Should().BeLessThan(LocalExecutor.VRuntimeRebaseThreshold);
        after.B.Should().BeLessThan(LocalExecutor.VRuntimeRebaseThreshold);
        after.B.Should().BeGreaterThanOrEqualTo(after.A, "the order survives the shift (an idle queue is lifted to the least runnable clock when it wakes anyway)");
    }

    [Fact]
    public async Task Dynamic_shares_follow_their_provider()
    {
        await using var executor = new LocalExecutor();
        int wanted = 50;
        TaskQueueHandle queue = executor.CreateTaskQueue(
            "steered", Shares.Dynamic(() => Volatile.Read(ref wanted), TimeSpan.FromMilliseconds(10)), Latency.NotImportant);

        await Timing.UntilAsync(() => queue.CurrentShares == 50, "the provider's first answer");
        Volatile.Write(ref wanted, 700);
        await Timing.UntilAsync(() => queue.CurrentShares == 700, "the provider's new answer");
        Volatile.Write(ref wanted, 5000);
        await Timing.UntilAsync(() => queue.CurrentShares == Shares.Max, "a clamped answer");
        queue.GetStats().CurrentShares.Should().Be(Shares.Max);
    }

    [Fact]
    public async Task Dynamic_shares_shift_the_split()
    {
        await using var executor = new LocalExecutor();
        int wanted = 100;
        TaskQueueHandle a = executor.CreateTaskQueue("a", 1000);
        TaskQueueHandle b = executor.CreateTaskQueue("b", Shares.Dynamic(() => Volatile.Read(ref wanted), TimeSpan.FromMilliseconds(20)), Latency.NotImportant);
        using var stop = new CancellationTokenSource();
        LocalTask<int> busyA = executor.Start(a, () => BusyAsync(stop.Token));
        LocalTask<int> busyB = executor.Start(b, () => BusyAsync(stop.Token));

        (TimeSpan a1, TimeSpan b1) = await MeasureWindowAsync(a, b);
        Volatile.Write(ref wanted, 1000);
        await Timing.UntilAsync(() => b.CurrentShares == 1000, "the provider's new answer");
        (TimeSpan a2, TimeSpan b2) = await MeasureWindowAsync(a, b);
        await stop.CancelAsync();
        await Task.WhenAll(busyA.AsTask(), busyB.AsTask()).Within("the busy tasks");

        double low = b1 / (a1 + b1);
        double high = b2 / (a2 + b2);
        _output.WriteLine($"b's part with 100 shares {low:F3}, with 1000 {high:F3}");
        low.Should().BeLessThan(0.25); // Glommio's G14 bounds
        high.Should().BeGreaterThan(0.4);
    }

    private static async Task<(TimeSpan A, TimeSpan B)> MeasureAsync(LocalExecutor executor, TaskQueueHandle a, TaskQueueHandle b, CancellationTokenSource stop)
    {
        LocalTask<int> busyA = executor.Start(a, () => BusyAsync(stop.Token));
        LocalTask<int> busyB = executor.Start(b, () => BusyAsync(stop.Token));
        (TimeSpan cpuA, TimeSpan cpuB) = await MeasureWindowAsync(a, b);
        await stop.CancelAsync();
        await Task.WhenAll(busyA.AsTask(), busyB.AsTask()).Within("the busy tasks");
        return (cpuA, cpuB);
    }

    /// <summary>CPU each queue got while both were busy, until together they had about a second.</summary>
    private static async Task<(TimeSpan A, TimeSpan B)> MeasureWindowAsync(TaskQueueHandle a, TaskQueueHandle b)
    {
        TaskQueueStats startA = a.GetStats();
        TaskQueueStats startB = b.GetStats();
        await Timing.UntilAsync(
            () => a.GetStats().CpuTime - startA.CpuTime + (b.GetStats().CpuTime - startB.CpuTime) >= Measured,
            "a second of CPU for the two queues");
        return (a.GetStats().CpuTime - startA.CpuTime, b.GetStats().CpuTime - startB.CpuTime);
    }

    /// <summary>A fat task: burns the CPU in 100 µs steps and offers to yield between them.</summary>
    private static async LocalTask<int> BusyAsync(CancellationToken stop)
    {
        int steps = 0;
        while (!stop.IsCancellationRequested)
        {
            Timing.Spin(TimeSpan.FromMilliseconds(0.1));
            steps++;
            await LocalExecutor.YieldIfNeeded();
        }

        return steps;
    }
}
