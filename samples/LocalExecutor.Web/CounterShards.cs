using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.AspNetCore;

namespace ThreadPerCore.Web;

/// <summary>
/// An in-memory counter store sharded per core: on the LocalExecutor transport a request increments the shard of the
/// core it runs on, a plain <see cref="Dictionary{TKey, TValue}"/> that only that core's thread ever touches, so there
/// is no lock. A read of the total asks every core for its share, on its own thread. On another transport (or off the
/// core) the same counters go to one shared shard under a lock: what the app would do without thread-per-core.
/// </summary>
public sealed class CounterShards
{
    private readonly Dictionary<string, long>[] _cores;
    private readonly Dictionary<string, long> _shared = [];
    private readonly Lock _sharedGate = new();
    private readonly LocalExecutorPool? _pool;

    /// <summary>Shards for the cores of <paramref name="pool"/>; null for the shared shard only.</summary>
    public CounterShards(LocalExecutorPool? pool)
    {
        _pool = pool;
        _cores = new Dictionary<string, long>[pool?.Count ?? 0];
        for (int i = 0; i < _cores.Length; i++)
        {
            _cores[i] = [];
        }
    }

    /// <summary>Adds one to <paramref name="key"/> on the caller's core shard (or the shared one) and returns that
    /// shard's count.</summary>
    public long Increment(ILocalExecutorConnectionFeature? core, string key)
    {
        if (core is not null && core.Executor.IsOwnerThread && core.Core < _cores.Length)
        {
            // Only this core's thread touches this dictionary: no lock, no atomic instruction.
            ref long slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_cores[core.Core], key, out _);
            return ++slot;
        }

        lock (_sharedGate)
        {
            ref long slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_shared, key, out _);
            return ++slot;
        }
    }

    /// <summary>The total of <paramref name="key"/> over every shard: each core reads its own shard on its thread.</summary>
    public async Task<long> TotalAsync(string key)
    {
        long total;
        lock (_sharedGate)
        {
            total = _shared.GetValueOrDefault(key);
        }

        if (_pool is not null)
        {
            ShardResult<long>[] shares = await _pool.RunOnAllShards(shard => Task.FromResult(_cores[shard].GetValueOrDefault(key)));
            foreach (ShardResult<long> share in shares)
            {
                total += share.Value;
            }
        }

        return total;
    }
}
