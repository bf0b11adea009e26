using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Timers on the core".</summary>
internal static class TimersExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor();
        int flushes = 0;
        void Flush() => flushes++;

        int value = await executor.Start(() => TimedAsync(executor, Flush));
        Console.WriteLine($"value {value}, flushed {flushes} time(s)");
    }

    private static async LocalTask<int> TimedAsync(LocalExecutor executor, Action Flush)
    {
        await LocalExecutor.Delay(TimeSpan.FromMilliseconds(5));                  // on the current executor, no hop
        int value = await executor.Spawn(() => 1).WithTimeout(TimeSpan.FromSeconds(1));
        using ITimer tick = executor.CreateTimer(_ => Flush(), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromMilliseconds(5), executor.TimeProvider);    // TimeProvider code stays local
        return value;
    }
}
