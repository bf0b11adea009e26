using System;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Statistics".</summary>
internal static class StatsExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor();
        for (int i = 0; i < 1000; i++)
        {
            await executor.Spawn(() => i);
        }

        ExecutorStats stats = executor.GetStats();   // from any thread, without stopping the core
        Console.WriteLine(stats);
        foreach (TaskQueueStats queue in executor.GetTaskQueueStats())
        {
            Console.WriteLine(queue);
        }
    }
}
