using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Three doors, one queue".</summary>
internal static class DoorsExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor();

        await executor.Spawn(async () =>
        {
            await Task.Delay(5);                                   // back on the executor thread
            int sum = await Task.Factory.StartNew(() => 1 + 1);    // no scheduler given: stays on the core
            int off = await Task.Run(() => HeavyCpuWork());        // Task.Run is the explicit way off it
            Console.WriteLine($"StartNew gave {sum}, Task.Run gave {off}");
        });

        var factory = new TaskFactory(executor.Scheduler);         // the Task.Factory door
        int n = await factory.StartNew(() => 42);
        await Task.Delay(1).ContinueWith(_ => Console.WriteLine($"ContinueWith on {LocalExecutor.Current?.Name}"), executor.Scheduler);

        var shard = new Shard(n);
        int counted = await executor.Spawn(() => CountAsync(shard)); // a LocalTask method, started on the executor
        using (executor.EnterScope())
        {
            counted += await CountPinnedAsync(shard);                  // a decorated Task method, run on the scoped executor
        }

        Console.WriteLine($"counted {counted}");
    }

    private static async LocalTask<int> CountAsync(Shard shard)    // runs on the executor it is called on
    {
        await Task.Yield();                                        // the task wakes itself: back of the queue, no allocation
        return shard.Count;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    private static async Task<int> CountPinnedAsync(Shard shard)  // same box; the Task<T> mirrors its outcome
    {
        await Task.Delay(1);
        return shard.Count;
    }

    private static int HeavyCpuWork() => 7;

    private sealed record Shard(int Count);
}
