using System;
using System.Threading;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>
/// The thread-pool twin's shards: the same stores, touched from any thread, each guarded by its own lock (what a
/// thread-pool server would do). Every shard is local to every thread; nothing hops. Expiry timers are system timers.
/// </summary>
public sealed class LockedShards : IShardAccess, IDisposable
{
    private readonly ShardStore[] _stores;

    /// <summary>Creates <paramref name="count"/> shards.</summary>
    /// <param name="count">How many.</param>
    /// <param name="server">The server they belong to.</param>
    /// <param name="clock">Their clock and timers; null for <see cref="TimeProvider.System"/>.</param>
    public LockedShards(int count, ServerContext server, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        _stores = new ShardStore[count];
        for (int i = 0; i < count; i++)
        {
            _stores[i] = new ShardStore(i, clock ?? TimeProvider.System, owner: null, new Lock());
        }
    }

    /// <inheritdoc />
    public int Count => _stores.Length;

    /// <inheritdoc />
    public ServerContext Server { get; }

    /// <inheritdoc />
    public int ShardOf(ReadOnlySpan<byte> key) => ShardMap.ShardOf(key, _stores.Length);

    /// <inheritdoc />
    public bool IsLocal(int shard) => true;

    /// <inheritdoc />
    ShardStore IShardAccess.Enter(int shard)
    {
        ShardStore store = _stores[shard];
        store.Guard!.Enter();
        return store;
    }

    /// <inheritdoc />
    void IShardAccess.Exit(int shard) => _stores[shard].Guard!.Exit();

    /// <inheritdoc />
    void IShardAccess.Dispatch(ShardBatch batch) =>
        throw new InvalidOperationException("Thread-pool shards are all local; nothing is dispatched.");

    /// <inheritdoc />
    int IShardAccess.CurrentCore() => -1;

    /// <inheritdoc />
    int IShardAccess.StatsSlot() => Environment.CurrentManagedThreadId;

    /// <summary>Stops the shards' expiry timers.</summary>
    public void Dispose()
    {
        foreach (ShardStore store in _stores)
        {
            lock (store.Guard!)
            {
                store.Dispose();
            }
        }
    }
}
