using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Exceptions" and "Shutdown and late work".</summary>
internal static class ShutdownExample
{
    public static async Task RunAsync()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions { Name = "shard-0", DrainTimeout = TimeSpan.FromSeconds(2) });
        executor.UnhandledException += (_, e) => Console.WriteLine($"unhandled ({e.Origin}): {e.Exception.Message}");
        executor.LateWork += (_, e) => Console.WriteLine($"late: {e.Kind} {e.Description}");

        // Fire and forget: Detach says nothing will await the task, so its failure is reported at once.
        executor.Spawn(async () =>
        {
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(10));
            throw new InvalidOperationException("a detached task failed");
        }).Detach();

        // A request in flight when the shutdown begins: it finishes during the drain, on its core.
        LocalTask<string> request = executor.Spawn(async () =>
        {
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(50));
            return $"request finished on {Thread.CurrentThread.Name}";
        });

        // A task that would never end: cancelled at the deadline, and named in the report.
        var never = new TaskCompletionSource();
        LocalTask<int> stuck = executor.Spawn(async () =>
        {
            await never.Task;
            return 0;
        });

        ShutdownReport report = await executor.ShutdownAsync(TimeSpan.FromMilliseconds(200));
        Console.WriteLine(await request);
        Console.WriteLine($"stuck task cancelled: {stuck.IsCanceled}");
        Console.WriteLine(report);

        try
        {
            _ = executor.Spawn(() => 1);
        }
        catch (ObjectDisposedException)
        {
            Console.WriteLine("new work after the stop: ObjectDisposedException");
        }
    }
}
