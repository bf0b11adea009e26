using System;
using ThreadPerCore.Benchmarks.Workloads;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>
/// The size of the one object a spawn allocates (the returned LocalTask, which is also the raw task), measured on
/// the executor thread. W3's bytes per item divided by it says how many such objects each item cost.
/// </summary>
internal static class SpawnAllocation
{
    public static long MeasureBytes()
    {
        using var executor = new LocalExecutor();
        var payload = new W3_SpawnJoin.Payload();
        return executor.Spawn(static p =>
        {
            LocalExecutor self = LocalExecutor.Current!;
            _ = self.Spawn(static q => q.Unit, p); // warm: the first call may allocate run-queue space
            long before = GC.GetAllocatedBytesForCurrentThread();
            _ = self.Spawn(static q => q.Unit, p);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }, payload).AsTask().GetAwaiter().GetResult();
    }
}
