using System;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Task queues, shares and latency".</summary>
internal static class TaskQueuesExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor();

        TaskQueueHandle batch = executor.CreateTaskQueue("batch", Shares.Static(100), Latency.NotImportant);
        TaskQueueHandle requests = executor.CreateTaskQueue("requests", Shares.Static(1000), Latency.Matters(TimeSpan.FromMilliseconds(2)));

        LocalTask<long> job = executor.Start(batch, () => CrunchAsync());   // ~1/11 of the core while requests are busy
        string reply = await executor.Spawn(requests, () => "handled");
        Console.WriteLine(reply);
        job.Cancel();
    }

    private static async LocalTask<long> CrunchAsync()
    {
        long n = 0;
        while (true)
        {
            n++;
            await LocalExecutor.YieldIfNeeded();   // a few ns when there is no reason to yield
        }
    }
}
