using System;
using System.Text;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Sharding;

namespace ThreadPerCore.Redis.Tests;

/// <summary>Shards without a server, for driving <see cref="RespConnection.ServeAsync"/> over pipes.</summary>
internal static class Shards
{
    public static ServerContext Context(int cores = 2) => new("test", cores, 512L * 1024 * 1024, log: null);

    public static LockedShards Locked(int count = 2, TimeProvider? clock = null) => new(count, Context(count), clock);

    public static ExecutorShards OnExecutors(LocalExecutorPool pool, TimeProvider? clock = null) => new(pool, Context(pool.Count), clock);

    /// <summary>A key of the form <paramref name="prefix"/>N that lands on <paramref name="shard"/>.</summary>
    public static string KeyOn(IShardAccess shards, int shard, string prefix)
    {
        for (int i = 0; ; i++)
        {
            string key = prefix + i;
            if (shards.ShardOf(Encoding.UTF8.GetBytes(key)) == shard)
            {
                return key;
            }
        }
    }
}
