using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>Many threads against one executor: nothing lost, nothing run twice, no lost wake-up of a parked core.</summary>
public sealed class CrossThreadStressTests
{
    [Fact]
    public async Task Posts_from_many_threads_each_run_exactly_once()
    {
        await using LocalExecutor executor = Executors.Start(nameof(Posts_from_many_threads_each_run_exactly_once));
        const int Threads = 4;
        const int PerThread = 25_000;
        int[] runs = new int[Threads * PerThread];
        using var start = new Barrier(Threads);

        Task[] producers = new Task[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int first = t * PerThread;
            producers[t] = Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    for (int i = 0; i < PerThread; i++)
                    {
                        int slot = first + i;
                        executor.SynchronizationContext.Post(static s => ((int[])((object[])s!)[0])[(int)((object[])s!)[1]]++, new object[] { runs, slot });
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        await Task.WhenAll(producers).Within("the producers");
        await executor.Drain();

        Array.IndexOf(runs, 0).Should().Be(-1, "every post ran");
        Array.FindIndex(runs, r => r > 1).Should().Be(-1, "no post ran twice");
    }

    [Fact]
    public async Task A_parked_executor_is_always_woken_by_a_foreign_post()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_parked_executor_is_always_woken_by_a_foreign_post));
        using var pong = new SemaphoreSlim(0);
        const int RoundTrips = 20_000;

        await Task.Run(() =>
        {
            for (int i = 0; i < RoundTrips; i++)
            {
                executor.Post(() => pong.Release());
                if (!pong.Wait(Bounded.Timeout))
                {
                    throw new TimeoutException($"Round trip {i}: the executor was not woken (lost wake-up).");
                }
            }
        }).Within("the ping-pong");
    }

    [Fact]
    public async Task Spawns_from_two_threads_racing_the_executor_into_sleep_all_complete()
    {
        await using LocalExecutor executor = Executors.Start(nameof(Spawns_from_two_threads_racing_the_executor_into_sleep_all_complete));
        const int PerThread = 10_000;
        var counter = new Counter();

        async Task Produce()
        {
            for (int i = 0; i < PerThread; i++)
            {
                await executor.Spawn(static c => Interlocked.Increment(ref c.Value), counter);
            }
        }

        await Task.WhenAll(Task.Run(Produce), Task.Run(Produce)).Within("both producers");
        Interlocked.Read(ref counter.Value).Should().Be(2 * PerThread);
    }

    private sealed class Counter
    {
        public long Value;
    }
}
