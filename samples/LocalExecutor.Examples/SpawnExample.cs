using System;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Spawning from anywhere".</summary>
internal static class SpawnExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor();

        LocalTask<int> a = executor.Spawn(() => Compute());                       // a synchronous work item
        LocalTask<int> b = executor.Spawn(static s => s.Length, "state");         // no closure: one allocation in all
        LocalTask<int> c = executor.Spawn(async () => { await Io(); return 1; }); // an async body run on the executor
        executor.Post(() => Console.WriteLine("fire and forget"));
        int result = await a + await b + await c;   // from the thread pool, another executor, anywhere
        Console.WriteLine($"result {result}");
    }

    private static int Compute() => 40;

    private static Task Io() => Task.Delay(1);
}
