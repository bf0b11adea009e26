using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>
/// Foreign spawns and starts, foreign wakes of suspended raw tasks, raw-task cancels racing runs and wakes, token
/// cancels of <c>Task</c> bodies, cross-executor spawns, <c>Post</c> and <c>Send</c>, from two driver threads at once.
/// Every body counts its runs: none may run twice; a task that completed ran exactly once and returned its own value;
/// a cancelled one ran at most once; every accepted <c>Post</c> runs once; <c>Send</c> has run when it returns.
/// </summary>
internal sealed class SpawnScenario : IScenario
{
    private const int Batch = 256;

    public string Name => "spawn";

    public Task RunAsync(SoakContext context) =>
        Task.WhenAll(Task.Run(() => DriveAsync(context, 1)), Task.Run(() => DriveAsync(context, 2)));

    private static async Task DriveAsync(SoakContext context, int driver)
    {
        var random = new Random(context.Seed + driver);
        Ledger ledger = context.Ledger;
        Counter[] counters = new Counter[Kinds.Length * 3];
        for (int k = 0; k < Kinds.Length; k++)
        {
            counters[k * 3] = ledger.Counter($"spawn.{Kinds[k]}.completed");
            counters[(k * 3) + 1] = ledger.Counter($"spawn.{Kinds[k]}.cancelled");
            counters[(k * 3) + 2] = ledger.Counter($"spawn.{Kinds[k]}.cancel-requested");
        }

        while (!context.Stop.IsCancellationRequested)
        {
            int[] runs = new int[Batch];
            int[] kinds = new int[Batch];
            var tasks = new LocalTask<int>?[Batch];
            for (int i = 0; i < Batch; i++)
            {
                int kind = random.Next(Kinds.Length);
                kinds[i] = kind;
                LocalExecutor executor = context.Pick(random);
                LocalTask<int>? task = Issue(context, executor, kind, runs, i, random);
                tasks[i] = task;
                if (task is not null)
                {
                    context.Tracker.Track(task, $"spawn.{Kinds[kind]} on {executor.Name}");
                    if (random.Next(3) == 0)
                    {
                        counters[(kind * 3) + 2].Add();
                        if (random.Next(2) == 0)
                        {
                            task.Cancel(); // at once, from this thread: may beat the first poll or race it
                        }
                        else
                        {
                            context.Canceller.CancelSoon(task, random.Next(0, 200));
                        }
                    }
                }
            }

            for (int i = 0; i < Batch; i++)
            {
                int kind = kinds[i];
                LocalTask<int>? task = tasks[i];
                if (task is null)
                {
                    // Post or Send: every accepted post runs once (bounded wait), a send ran when it returned.
                    if (!SpinWait.SpinUntil(() => Volatile.Read(ref runs[i]) != 0, TimeSpan.FromSeconds(30)))
                    {
                        ledger.Violation("spawn.post-lost", $"a {Kinds[kind]} callback never ran");
                    }

                    counters[kind * 3].Add();
                    continue;
                }

                try
                {
                    int result = await task.AsTask().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                    ledger.Check(result == i, "spawn.wrong-result", () => $"{Kinds[kind]} task {i} returned {result}");
                    ledger.Check(Volatile.Read(ref runs[i]) == 1, "spawn.run-count", () => $"{Kinds[kind]} task {i} completed after {runs[i]} runs");
                    counters[kind * 3].Add();
                }
                catch (OperationCanceledException)
                {
                    counters[(kind * 3) + 1].Add();
                }
                catch (TimeoutException)
                {
                    ledger.Violation("spawn.hung", $"{Kinds[kind]} task {i} on {task.Executor.Name} did not end within 60 s");
                }
            }

            // Late runs would show now: give any stray second run a moment to land, then check none ran twice.
            await Task.Delay(1).ConfigureAwait(false);
            for (int i = 0; i < Batch; i++)
            {
                int count = Volatile.Read(ref runs[i]);
                ledger.Check(count <= 1, "spawn.ran-twice", () => $"{Kinds[kinds[i]]} body {i} ran {count} times");
            }
        }
    }

    private static readonly string[] Kinds = ["spawn-func", "start-woken", "task-body-token", "cross-executor", "post", "send"];

    private static LocalTask<int>? Issue(SoakContext context, LocalExecutor executor, int kind, int[] runs, int i, Random random)
    {
        switch (kind)
        {
            case 0:
                return executor.Spawn(() =>
                {
                    Interlocked.Increment(ref runs[i]);
                    return i;
                });
            case 1:
            {
                // A raw task that suspends on a Task a thread-pool thread completes: a foreign wake racing the cancels.
                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                int delay = random.Next(0, 100);
                _ = Task.Run(() =>
                {
                    Thread.SpinWait(delay * 10);
                    gate.SetResult();
                });
                return executor.Start(() => WokenAsync(gate.Task, runs, i));
            }

            case 2:
            {
                var source = new CancellationTokenSource();
                context.Canceller.CancelSoon(source, random.Next(0, 2000));
                int delay = random.Next(0, 3);
                return executor.Spawn(async () =>
                {
                    await Task.Delay(delay, source.Token);
                    Interlocked.Increment(ref runs[i]);
                    return i;
                });
            }

            case 3:
            {
                LocalExecutor other = executor == context.A ? context.B : context.A;
                return executor.Spawn(async () => await other.Spawn(() =>
                {
                    Interlocked.Increment(ref runs[i]);
                    return i;
                }));
            }

            case 4:
                executor.Post(() => Interlocked.Increment(ref runs[i]));
                return null;
            default:
                executor.SynchronizationContext.Send(_ => Interlocked.Increment(ref runs[i]), null);
                context.Ledger.Check(Volatile.Read(ref runs[i]) == 1, "spawn.send-returned-early", () => "Send returned before its callback ran");
                return null;
        }
    }

    private static async LocalTask<int> WokenAsync(Task gate, int[] runs, int i)
    {
        await gate;
        Interlocked.Increment(ref runs[i]);
        return i;
    }
}
