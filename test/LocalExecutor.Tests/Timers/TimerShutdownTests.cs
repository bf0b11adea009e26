using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Timers;

/// <summary>Sleeps and timeouts at shutdown: every one ends, including those with no deadline.</summary>
public sealed class TimerShutdownTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task An_infinite_sleep_is_cancelled_by_Dispose(bool withToken, bool onTheCore)
    {
        LocalExecutor executor = Executors.Start(nameof(An_infinite_sleep_is_cancelled_by_Dispose));
        using var source = new CancellationTokenSource();
        CancellationToken token = withToken ? source.Token : CancellationToken.None;
        LocalTask sleep = onTheCore
            ? await executor.OnExecutor(() => LocalExecutor.Delay(Timeout.InfiniteTimeSpan, token))
            : executor.Sleep(Timeout.InfiniteTimeSpan, token);
        await executor.Drain();

        await executor.DisposeAsync();

        sleep.IsCanceled.Should().BeTrue("shutdown ends every task, a sleep without deadline too");
        await source.CancelAsync(); // a later cancel finds it ended: harmless
        sleep.IsCanceled.Should().BeTrue();
    }

    [Fact]
    public async Task Cancelling_an_infinite_sleep_on_the_core_removes_its_timer()
    {
        await using LocalExecutor executor = Executors.Start(nameof(Cancelling_an_infinite_sleep_on_the_core_removes_its_timer));

        int pending = await executor.OnExecutor(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                LocalExecutor.Delay(Timeout.InfiniteTimeSpan).Cancel();
            }

            return executor.GetStats().PendingTimers;
        });

        pending.Should().Be(0, "a cancelled sleep leaves nothing in the heap, or sleeps cancelled in a loop would pile up");
    }

    [Fact]
    public async Task WithTimeout_on_a_completed_task_after_Dispose_completes_like_the_task()
    {
        LocalExecutor executor = Executors.Start(nameof(WithTimeout_on_a_completed_task_after_Dispose_completes_like_the_task));
        LocalTask<int> done = executor.Spawn(() => 42);
        await done.Within("the task");
        await executor.DisposeAsync();

        LocalTask<int> bounded = done.WithTimeout(TimeSpan.FromSeconds(1));

        bounded.IsCompletedSuccessfully.Should().BeTrue("the task completed in time; its executor need not be running to say so");
        (await bounded).Should().Be(42);
    }

    [Fact]
    public async Task WithTimeout_on_a_task_of_a_stopped_executor_ends()
    {
        LocalExecutor executor = Executors.Start(nameof(WithTimeout_on_a_task_of_a_stopped_executor_ends));
        LocalTask suspended = executor.Sleep(TimeSpan.FromDays(1));
        await executor.Drain();
        await executor.DisposeAsync();

        LocalTask bounded = suspended.WithTimeout(TimeSpan.FromSeconds(1));

        bounded.IsCompleted.Should().BeTrue();
        bounded.IsCanceled.Should().BeTrue("the inner task was cancelled by the shutdown");
    }
}
