using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>
/// Task queues created, fed, re-weighted and removed from foreign threads while work runs in them: every item spawned
/// into a queue runs once, a queue with nothing left in it can be removed, and a spawn into a removed queue throws.
/// </summary>
internal sealed class TaskQueueScenario : IScenario
{
    public string Name => "task-queues";

    public Task RunAsync(SoakContext context) =>
        Task.WhenAll(Task.Run(() => DriveAsync(context, 21)), Task.Run(() => DriveAsync(context, 22)));

    private static async Task DriveAsync(SoakContext context, int salt)
    {
        var random = new Random(context.Seed + salt);
        Ledger ledger = context.Ledger;
        Counter created = ledger.Counter("task-queues.created");
        Counter removed = ledger.Counter("task-queues.removed");
        Counter items = ledger.Counter("task-queues.items-run");
        Counter shareChanges = ledger.Counter("task-queues.share-changes");
        Counter refused = ledger.Counter("task-queues.spawn-into-removed-refused");
        int round = 0;
        while (!context.Stop.IsCancellationRequested)
        {
            LocalExecutor executor = context.Pick(random);
            TaskQueueHandle queue = executor.CreateTaskQueue($"soak-{salt}-{round++}", Shares.Static(random.Next(Shares.Min, Shares.Max + 1)),
                random.Next(2) == 0 ? Latency.NotImportant : Latency.Matters(TimeSpan.FromMilliseconds(random.Next(1, 5))));
            created.Add();
            int count = random.Next(10, 200);
            int[] runs = new int[count];
            var tasks = new Task[count];
            for (int i = 0; i < count; i++)
            {
                int index = i;
                tasks[i] = random.Next(3) == 0
                    ? executor.Spawn(queue, async () =>
                    {
                        await Task.Yield(); // a continuation that must come back into this queue
                        Interlocked.Increment(ref runs[index]);
                    }).AsTask()
                    : executor.Spawn(queue, () =>
                    {
                        Thread.SpinWait(200);
                        Interlocked.Increment(ref runs[index]);
                    }).AsTask();
                if (random.Next(16) == 0)
                {
                    executor.SetShares(queue, Shares.Static(random.Next(Shares.Min, Shares.Max + 1)));
                    shareChanges.Add();
                }
            }

            try
            {
                await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                ledger.Violation("task-queues.hung", $"items in queue {queue} did not all run within 60 s");
                return;
            }

            for (int i = 0; i < count; i++)
            {
                ledger.Check(runs[i] == 1, "task-queues.run-count", () => $"an item of {queue} ran {runs[i]} times");
            }

            items.Add(count);
            try
            {
                executor.RemoveTaskQueue(queue);
                removed.Add();
            }
            catch (InvalidOperationException exception)
            {
                ledger.Violation("task-queues.remove-refused", $"removing drained queue {queue} failed: {exception.Message}");
                continue;
            }

            try
            {
                _ = executor.Spawn(queue, () => { });
                ledger.Violation("task-queues.spawn-into-removed", $"a spawn into removed queue {queue} was accepted");
            }
            catch (InvalidOperationException)
            {
                refused.Add();
            }
        }
    }
}
