using System;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>
/// How a connection reaches the shards: which shard a key belongs to, whether the calling thread may touch a shard
/// now, and how a batch of operations travels to a shard it may not touch and back. Two implementations:
/// <see cref="ExecutorShards"/> (shared-nothing, one shard per core, cross-core hops) and <see cref="LockedShards"/>
/// (the thread-pool twin: any thread, a lock per shard).
/// </summary>
public interface IShardAccess
{
    /// <summary>How many shards there are.</summary>
    int Count { get; }

    /// <summary>The server the shards belong to (its statistics and settings, for INFO and CONFIG).</summary>
    ServerContext Server { get; }

    /// <summary>The shard that owns <paramref name="key"/>.</summary>
    int ShardOf(ReadOnlySpan<byte> key);

    /// <summary>True when the calling thread may run operations on <paramref name="shard"/> itself (between
    /// <see cref="Enter"/> and <see cref="Exit"/>); false when they must go through <see cref="Dispatch"/>.</summary>
    bool IsLocal(int shard);

    /// <summary>Starts using a local shard (takes its lock, where it has one).</summary>
    internal ShardStore Enter(int shard);

    /// <summary>Stops using a shard entered with <see cref="Enter"/>.</summary>
    internal void Exit(int shard);

    /// <summary>Runs <paramref name="batch"/> on the core that owns its shard; the batch completes back on the calling
    /// core (or on the thread pool when the caller is on no executor).</summary>
    internal void Dispatch(ShardBatch batch);

    /// <summary>The shard whose core is calling (the connection's core, when a connection calls), or -1 off the
    /// executors and on the thread pool, where no shard has a core.</summary>
    internal int CurrentCore();

    /// <summary>A small number identifying the calling core or thread, to spread statistics counters.</summary>
    internal int StatsSlot();
}
