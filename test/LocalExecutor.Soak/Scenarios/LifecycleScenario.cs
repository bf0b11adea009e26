using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>
/// Executors and pools started and stopped with work in flight: two threads keep spawning, starting, sleeping and
/// posting into them while a third disposes them. Every call either throws <see cref="ObjectDisposedException"/> or
/// its task ends (run or cancelled); every accepted post has run once the dispose returned; nothing runs twice.
/// </summary>
internal sealed class LifecycleScenario : IScenario
{
    // Enough calls to straddle the dispose, few enough that what the round holds does not dominate the heap samples.
    private const int MaxCallsPerThread = 4000;

    public string Name => "lifecycle";

    public async Task RunAsync(SoakContext context)
    {
        var random = new Random(context.Seed + 31);
        Ledger ledger = context.Ledger;
        Counter executors = ledger.Counter("lifecycle.executors");
        Counter pools = ledger.Counter("lifecycle.pools");
        int round = 0;
        while (!context.Stop.IsCancellationRequested)
        {
            round++;
            if (random.Next(3) == 0)
            {
                var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), NamePrefix = $"soak-pool-{round}" });
                await StormAsync(context, random.Next(), (key, work) => pool.SpawnOn(key, work), post: null, () => pool.DisposeAsync()).ConfigureAwait(false);
                pools.Add();
            }
            else
            {
                var executor = new LocalExecutor(new LocalExecutorOptions { Name = $"soak-life-{round}" });
                await StormAsync(context, random.Next(), (_, work) => executor.Spawn(work), executor.Post, () => executor.DisposeAsync(), executor).ConfigureAwait(false);
                executors.Add();
            }
        }
    }

    private static async Task StormAsync(SoakContext context, int seed, Func<int, Func<int>, LocalTask<int>> spawn, Action<Action>? post, Func<ValueTask> dispose, LocalExecutor? executor = null)
    {
        Ledger ledger = context.Ledger;
        Counter accepted = ledger.Counter("lifecycle.calls.accepted");
        Counter rejected = ledger.Counter("lifecycle.calls.rejected-disposed");
        Counter ranOk = ledger.Counter("lifecycle.tasks.completed");
        Counter cancelled = ledger.Counter("lifecycle.tasks.cancelled");
        Counter refusedInside = ledger.Counter("lifecycle.tasks.body-refused-disposed");
        int posted = 0;
        int postsRun = 0;
        var tasks = new ConcurrentQueue<(LocalTask<int> Task, int[] Runs)>();
        using var stop = new CancellationTokenSource();
        Task Storm(int salt) => Task.Run(() =>
        {
            var random = new Random(seed + salt);
            for (int calls = 0; calls < MaxCallsPerThread && !stop.IsCancellationRequested; calls++)
            {
                try
                {
                    int[] runs = new int[1];
                    LocalTask<int> task;
                    switch (random.Next(4))
                    {
                        case 0 when post is not null:
                            post(() => Interlocked.Increment(ref postsRun));
                            Interlocked.Increment(ref posted);
                            accepted.Add();
                            continue;
                        case 1 when executor is not null:
                            task = executor.Start(() => SleepThenCountAsync(executor, runs, random.Next(0, 2000)));
                            break;
                        case 2 when executor is not null:
                        {
                            LocalTask sleep = executor.Sleep(random.Next(2) == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMicroseconds(random.Next(0, 500)));
                            context.Tracker.Track(sleep, "lifecycle sleep");
                            accepted.Add();
                            continue;
                        }

                        default:
                            task = spawn(random.Next(), () => ++runs[0]);
                            break;
                    }

                    accepted.Add();
                    context.Tracker.Track(task, "lifecycle spawn");
                    tasks.Enqueue((task, runs));
                }
                catch (ObjectDisposedException)
                {
                    rejected.Add();
                }
            }
        });

        Task a = Storm(1);
        Task b = Storm(2);
        await Task.Delay(new Random(seed).Next(0, 20)).ConfigureAwait(false);
        try
        {
            await dispose().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            ledger.Violation("lifecycle.dispose-failed", exception.ToString());
        }

        await Task.Delay(2).ConfigureAwait(false); // spawns racing the dispose, now on the far side of it
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(a, b).ConfigureAwait(false);

        // A post accepted as the executor stopped may run as late work on the thread pool: bounded wait for all of them.
        if (!SpinWait.SpinUntil(() => Volatile.Read(ref postsRun) == Volatile.Read(ref posted), TimeSpan.FromSeconds(10)))
        {
            ledger.Violation("lifecycle.post-lost", $"{posted} posts accepted, {postsRun} ran");
        }
        foreach ((LocalTask<int> task, int[] runs) in tasks)
        {
            try
            {
                await task.AsTask().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                ledger.Check(runs[0] == 1, "lifecycle.run-count", () => $"a completed task ran {runs[0]} times");
                ranOk.Add();
            }
            catch (OperationCanceledException)
            {
                ledger.Check(runs[0] <= 1, "lifecycle.run-count", () => $"a cancelled task ran {runs[0]} times");
                cancelled.Add();
            }
            catch (ObjectDisposedException)
            {
                // A body that ran as the executor stopped and asked it for new work (a sleep) was refused: it ended.
                ledger.Check(runs[0] == 0, "lifecycle.run-count", () => $"a refused task ran {runs[0]} times");
                refusedInside.Add();
            }
            catch (TimeoutException)
            {
                ledger.Violation("lifecycle.task-hung", "a task of a disposed executor did not end within 30 s");
            }
        }
    }

    private static async LocalTask<int> SleepThenCountAsync(LocalExecutor executor, int[] runs, int micros)
    {
        await executor.Sleep(TimeSpan.FromMicroseconds(micros));
        return ++runs[0];
    }
}
