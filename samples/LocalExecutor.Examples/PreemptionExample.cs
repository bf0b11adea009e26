using System;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Preemption".</summary>
internal static class PreemptionExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor();
        long sum = await executor.Start(() => SumAsync());
        Console.WriteLine(sum);
    }

    private static async LocalTask<long> SumAsync()
    {
        long sum = 0;
        for (int i = 0; i < 50_000_000; i++)
        {
            sum += i;
            if (LocalExecutor.NeedsPreempt)          // a few nanoseconds: no system call, no lock
            {
                await LocalExecutor.YieldIfNeeded(); // other queues, timers and foreign wakes get their turn
            }
        }

        return sum;
    }
}
