using System;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Spawning from anywhere".</summary>
internal static class SpawnExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor();
        Channel<int> channel = Channel.CreateUnbounded<int>();
        ChannelReader<int> reader = channel.Reader;
        channel.Writer.TryWrite(2);

        LocalTask<int> a = executor.Spawn(() => Compute());                       // a synchronous work item
        LocalTask<int> b = executor.Spawn(static s => s.Length, "state");         // no closure: one allocation in all
        LocalTask<int> c = executor.Spawn(async () => { await Io(); return 1; }); // an async body run on the executor
        LocalTask<int> d = executor.Spawn(() => CountAsync(3));                   // a LocalTask method: its own task, no wrapper
        LocalTask<int> e = executor.Spawn(() => reader.ReadAsync());              // a ValueTask body, awaited on the executor
        executor.Post(() => Console.WriteLine("fire and forget"));
        int result = await a + await b + await c + await d + await e;   // from the thread pool, another executor, anywhere
        Console.WriteLine($"result {result}");
    }

    private static int Compute() => 40;

    private static Task Io() => Task.Delay(1);

    private static async LocalTask<int> CountAsync(int count)
    {
        await Task.Yield();
        return count;
    }
}
