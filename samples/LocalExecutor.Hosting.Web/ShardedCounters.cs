using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Hosting.Web;

/// <summary>What a request saw: the counter's value and the shard, and thread, that owns the key.</summary>
/// <param name="Key">The counter's key.</param>
/// <param name="Value">The counter's value after the request.</param>
/// <param name="Shard">The shard that owns the key.</param>
/// <param name="Thread">The name of the thread that ran the request's work: the shard's executor.</param>
public sealed record CounterReply(string Key, long Value, int Shard, string? Thread);

/// <summary>
/// Counters sharded across the pool: shard <c>i</c>'s dictionary is only ever touched on executor <c>i</c>'s thread,
/// so it needs no lock. Requests arrive on ASP.NET Core's threads and are forwarded to the shard that owns their key:
/// <c>_pool[_pool.ShardFor(key)].Spawn(...)</c> (the shard number goes into the reply too).
/// </summary>
public sealed class ShardedCounters
{
    private readonly LocalExecutorPool _pool;
    private readonly Dictionary<string, long>[] _byShard;

    /// <summary>Creates the counters over the host's pool.</summary>
    /// <param name="pool">The pool, from dependency injection.</param>
    public ShardedCounters(LocalExecutorPool pool)
    {
        _pool = pool;
        _byShard = new Dictionary<string, long>[pool.Count];
        for (int shard = 0; shard < pool.Count; shard++)
        {
            _byShard[shard] = [];
        }
    }

    /// <summary>How many shards the counters are spread over.</summary>
    public int ShardCount => _pool.Count;

    /// <summary>Adds one to the counter of <paramref name="key"/>, on the shard that owns it.</summary>
    /// <param name="key">The counter's key.</param>
    /// <returns>The counter after the increment.</returns>
    public Task<CounterReply> IncrementAsync(string key)
    {
        int shard = _pool.ShardFor(key);
        return _pool[shard].Spawn(() =>
        {
            Dictionary<string, long> counters = Owned(shard);
            long value = counters.GetValueOrDefault(key) + 1;
            counters[key] = value;
            return new CounterReply(key, value, shard, Thread.CurrentThread.Name);
        }).AsTask();
    }

    /// <summary>Reads the counter of <paramref name="key"/> on the shard that owns it.</summary>
    /// <param name="key">The counter's key.</param>
    /// <returns>The counter (0 if never incremented).</returns>
    public Task<CounterReply> GetAsync(string key)
    {
        int shard = _pool.ShardFor(key);
        return _pool[shard].Spawn(() => new CounterReply(key, Owned(shard).GetValueOrDefault(key), shard, Thread.CurrentThread.Name)).AsTask();
    }

    private Dictionary<string, long> Owned(int shard)
    {
        _pool[shard].VerifyAccess(); // the shard's data is touched on its own thread only
        return _byShard[shard];
    }
}
