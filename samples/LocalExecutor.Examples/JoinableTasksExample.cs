using System;
using System.Threading.Tasks;
using Microsoft.VisualStudio.Threading;

namespace ThreadPerCore.Examples;

/// <summary>README: "JoinableTaskFactory on every core".</summary>
internal static class JoinableTasksExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "shard-0" });
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;

        // A synchronous entry point on another thread waits for async work that runs on the core.
        int fromOutside = await Task.Run(() => jtf.Run(async () =>
        {
            await jtf.SwitchToMainThreadAsync();             // now on shard-0's thread
            return await executor.Spawn(() => 20) + (executor.IsOwnerThread ? 1 : -1000);
        }));

        // On the core itself: a blocking wait on local work throws at once instead of hanging...
        string refused = await executor.Spawn(() =>
        {
            LocalTask<int> pending = executor.Spawn(() => 1);
            try
            {
#pragma warning disable VSTHRD002 // the mistake this part shows: the analyzers flag it, and the executor refuses it
                return pending.AsTask().GetAwaiter().GetResult().ToString(System.Globalization.CultureInfo.InvariantCulture);
#pragma warning restore VSTHRD002
            }
            catch (InvalidOperationException e)
            {
                return e.Message[..e.Message.IndexOf(':', StringComparison.Ordinal)];
            }
        });

        // ...and JoinableTaskFactory.Run is the way out: it keeps the core's loop running while it waits.
        int onTheCore = await executor.Spawn(() => jtf.Run(async () =>
        {
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(1));
            return await executor.Spawn(() => 21);
        }));

        bool switched = await Task.Run(async () =>
        {
            await executor.SwitchTo();                       // the executor's own switch, known to the analyzers too
            return executor.IsOwnerThread;
        });

        Console.WriteLine($"Run from a pool thread: {fromOutside}; Run on the core: {onTheCore}; SwitchTo arrived: {switched}");
        Console.WriteLine($"Blocking on the core: {refused}");
    }
}
