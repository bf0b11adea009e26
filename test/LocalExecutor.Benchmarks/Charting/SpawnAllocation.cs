using System;
using ThreadPerCore.Benchmarks.Workloads;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>
/// The bytes one spawn allocates on the owner thread once the run queue is warm: the returned LocalTask, which is
/// also the raw task. W3's bytes per item divided by it says how many such tasks each item cost.
/// </summary>
internal static class SpawnAllocation
{
    private const int Batch = 1_000;

    public static long MeasureBytes()
    {
        using var executor = new LocalExecutor();
        return executor.Start(() => Probe(executor)).AsTask().GetAwaiter().GetResult();
    }

    private static async LocalTask<long> Probe(LocalExecutor executor)
    {
        var payload = new W3_SpawnJoin.Payload();
        var tasks = new LocalTask<int>[Batch];
        long bytes = 0;
        for (int round = 0; round < 3; round++)
        {
            // Rounds 0 and 1 grow the run queue to its working size; round 2 is measured.
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Batch; i++)
            {
                tasks[i] = executor.Spawn(static p => p.Unit, payload);
            }

            bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            for (int i = 0; i < Batch; i++)
            {
                await tasks[i];
            }
        }

        return bytes / Batch;
    }
}
