using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Stall detection".</summary>
internal static class StallsExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = "shard-0",
            StallThreshold = TimeSpan.FromMilliseconds(50),   // the default; Timeout.InfiniteTimeSpan turns it off
            StallReportsPerMinute = 5,                          // the default, as Seastar's
        });
        using var reported = new ManualResetEventSlim();
        executor.Stalled += (_, e) =>
        {
            Console.WriteLine(e);                               // raised while the turn still runs, on the thread pool
            reported.Set();
        };

        TaskQueueHandle batch = executor.CreateTaskQueue("batch", Shares.Default, Latency.NotImportant);
        await executor.Start(batch, () => CrunchWithoutYieldingAsync(reported));
        Console.WriteLine($"Stalls counted: {executor.GetStats().Stalls}");
    }

    private static async LocalTask CrunchWithoutYieldingAsync(ManualResetEventSlim reported)
    {
        await LocalExecutor.Yield();
        reported.Wait(TimeSpan.FromSeconds(10));                // blocks the core until the report arrives
    }
}
