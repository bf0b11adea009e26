using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Cross-core spawn".</summary>
internal static class CrossCoreExample
{
    public static async Task RunAsync()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(4));
        var localIndex = new List<int> { 1, 2, 3 };   // owned by shard 3

        // On shard 0, ask shard 3 for something and carry on on shard 0:
        int count = await pool[0].Spawn(async () => await pool[3].Spawn(() => localIndex.Count));
        Console.WriteLine($"shard 3 counted {count}");
    }
}
