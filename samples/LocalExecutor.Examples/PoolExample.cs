using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "A pool: one executor per core".</summary>
internal static class PoolExample
{
    public static async Task RunAsync()
    {
        var accounts = new Dictionary<string, Account> { ["ada"] = new Account(120) };
        string userId = "ada";

        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions
        {
            Placement = PoolPlacement.OnePerCpu(),   // or Spread(n), Pack(n), Cpus(0, 2), Unbound(n)
            NamePrefix = "shard",
        });

        ShardResult<int>[] perShard = await pool.RunOnAllShards(async shard =>
        {
            await Task.Yield();                      // resumes on this shard's pinned thread
            return shard * 10;
        });

        int balance = await pool.SpawnOn(userId, () => accounts[userId].Balance);   // route by key

        foreach (ShardResult<int> r in perShard)
        {
            Console.WriteLine(r.IsSuccess ? $"shard {r.Shard}: {r.Value}" : $"shard {r.Shard} failed: {r.Exception!.Message}");
        }

        Console.WriteLine($"{userId} has {balance}, on shard {pool.ShardFor(userId)}");
    }

    private sealed record Account(int Balance);
}
