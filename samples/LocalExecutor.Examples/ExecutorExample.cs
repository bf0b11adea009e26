using System;
using System.Threading.Tasks;
using ThreadPerCore.Platform;

namespace ThreadPerCore.Examples;

/// <summary>README: "One executor".</summary>
internal static class ExecutorExample
{
    public static async Task RunAsync()
    {
        int cpu = SystemCpus.GetAvailableCpus().Max;
        await using var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Placement = Placement.Fixed(cpu),         // or Placement.Unbound (the default)
            Name = $"shard-{cpu}",                    // the thread's name
            SpinBeforePark = TimeSpan.Zero,           // >0: spin that long before sleeping, for lower wake latency
            UnhandledExceptionPolicy = UnhandledExceptionPolicy.Continue,
            ShutdownTimeout = TimeSpan.FromSeconds(30), // how long Dispose waits for the thread (the default)
            StackSize = LocalExecutorOptions.DefaultStackSize, // 16 MiB (the default); 0 = the runtime's thread default
        });

        string where = await executor.Spawn(() => $"{LocalExecutor.Current!.Name} on CPU {ThreadCpu.Current}, allowed {ThreadCpu.Allowed}");
        Console.WriteLine(where);
    }
}
