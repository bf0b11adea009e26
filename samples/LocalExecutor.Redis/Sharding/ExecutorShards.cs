using System;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>
/// Shared-nothing shards: shard <c>i</c> belongs to executor <c>i</c> of the pool and only that executor's thread
/// touches it (no lock). A connection served on executor <c>c</c> runs shard <c>c</c>'s operations itself and sends
/// the others to their owners in one batch per shard (see <see cref="ShardBatch"/>). Expiry timers are the owners'.
/// </summary>
public sealed class ExecutorShards : IShardAccess, IDisposable
{
    private readonly LocalExecutorPool _pool;
    private readonly ShardStore[] _stores;

    /// <summary>Creates one shard per executor of <paramref name="pool"/>.</summary>
    /// <param name="pool">The executors; shard <c>i</c> is owned by <c>pool[i]</c>.</param>
    /// <param name="server">The server the shards belong to.</param>
    /// <param name="clock">A clock for every shard's deadlines and timers (tests); null for each executor's own
    /// <see cref="LocalExecutor.TimeProvider"/>.</param>
    public ExecutorShards(LocalExecutorPool pool, ServerContext server, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(server);
        _pool = pool;
        Server = server;
        _stores = new ShardStore[pool.Count];
        for (int i = 0; i < _stores.Length; i++)
        {
            _stores[i] = new ShardStore(i, clock ?? pool[i].TimeProvider, pool[i], guard: null);
        }
    }

    /// <inheritdoc />
    public int Count => _stores.Length;

    /// <inheritdoc />
    public ServerContext Server { get; }

    /// <inheritdoc />
    public int ShardOf(ReadOnlySpan<byte> key) => ShardMap.ShardOf(key, _stores.Length);

    /// <inheritdoc />
    public bool IsLocal(int shard) => _pool[shard].IsOwnerThread;

    /// <inheritdoc />
    ShardStore IShardAccess.Enter(int shard) => _stores[shard]; // the store itself refuses a caller off its core

    /// <inheritdoc />
    void IShardAccess.Exit(int shard)
    {
    }

    /// <inheritdoc />
    void IShardAccess.Dispatch(ShardBatch batch)
    {
        LocalExecutor owner = _pool[batch.Shard];
        batch.Send(_stores[batch.Shard], owner.SynchronizationContext, LocalExecutor.Current?.SynchronizationContext);
    }

    /// <inheritdoc />
    int IShardAccess.CurrentCore()
    {
        LocalExecutor? current = LocalExecutor.Current;
        for (int i = 0; i < _pool.Count; i++)
        {
            if (_pool[i] == current)
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc />
    int IShardAccess.StatsSlot() => Math.Max(0, ((IShardAccess)this).CurrentCore());

    /// <summary>Stops the shards' expiry timers.</summary>
    public void Dispose()
    {
        foreach (ShardStore store in _stores)
        {
            store.Dispose();
        }
    }
}
