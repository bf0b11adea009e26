using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using ThreadPerCore.Redis.Protocol;

namespace ThreadPerCore.Redis.Store;

/// <summary>
/// One shard's keys: a dictionary keyed by the key bytes (searched with spans, so a hit allocates nothing), a heap
/// of deadlines, and one timer that wakes at the soonest. Not thread-safe: on the executors only the shard's own core
/// touches it; on the thread pool its <see cref="Guard"/> is held around every use.
/// </summary>
/// <remarks>
/// Expiry is lazy and active, as in Redis: a read of an expired key deletes it, and the timer deletes keys nobody reads.
/// On an executor the timer is the core's own (<see cref="LocalExecutor.TimeProvider"/>), so its callback runs on the
/// owning core between requests with no hop and no lock. A key is expired once the clock is past its deadline.
/// </remarks>
[DebuggerDisplay("{Count} keys, {_withDeadline} with a deadline")]
internal sealed class ShardStore : IDisposable
{
    /// <summary>The most keys one timer callback expires before it lets other work run.</summary>
    private const int ExpireBudget = 10_000;

    /// <summary>The timer never sleeps longer than this (system timers take at most ~49 days); it re-arms on waking.</summary>
    private static readonly long s_maxTimerSleepMs = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    private static readonly TimerCallback s_onTimer = static state => ((ShardStore)state!).OnTimer();
    private static readonly SendOrPostCallback s_expireOnOwner = static state => ((ShardStore)state!).ExpireDue();

    private readonly Dictionary<byte[], Entry> _map = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Entry>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly ExpiryQueue _expiry = new();
    private readonly TimeProvider _clock;
    private readonly long _epoch;
    private readonly double _msPerTick;
    private readonly LocalExecutor? _owner;
    private ITimer? _timer;
    private long _timerDeadline = long.MaxValue;
    private int _withDeadline;
    private bool _disposed;

    /// <summary>Creates a shard.</summary>
    /// <param name="index">The shard's number.</param>
    /// <param name="clock">Its clock and timers: the owning executor's <see cref="LocalExecutor.TimeProvider"/>, the
    /// system's, or a test's fake.</param>
    /// <param name="owner">The executor that owns the shard (timer callbacks that fire elsewhere hop to it); null on the thread pool.</param>
    /// <param name="guard">The lock held around every use on the thread pool; null on the executors.</param>
    public ShardStore(int index, TimeProvider clock, LocalExecutor? owner, Lock? guard)
    {
        Index = index;
        _clock = clock;
        _owner = owner;
        Guard = guard;
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<byte>>();
        _epoch = clock.GetTimestamp();
        _msPerTick = 1000.0 / clock.TimestampFrequency;
    }

    /// <summary>The shard's number.</summary>
    public int Index { get; }

    /// <summary>The lock that guards the shard on the thread pool; null on the executors.</summary>
    public Lock? Guard { get; }

    /// <summary>How many keys the shard holds (expired keys not yet deleted included, as Redis's DBSIZE counts).</summary>
    public int Count => _map.Count;

    /// <summary>Milliseconds on the shard's clock since the shard was created.</summary>
    private long NowMs => (long)((_clock.GetTimestamp() - _epoch) * _msPerTick);

    /// <summary>
    /// Runs <paramref name="op"/> against the shard, reading its arguments from <paramref name="request"/>; kinds that
    /// reply (<see cref="ShardOp.Replies"/>) write the reply to <paramref name="output"/>.
    /// </summary>
    /// <returns>For counting kinds: 1/0 (DEL, EXISTS) or the key count (DBSIZE); 0 for the others.</returns>
    /// <exception cref="InvalidOperationException">The shard belongs to an executor and the caller is on another thread:
    /// a request that should have hopped to the owner did not (a bug, never a client's doing).</exception>
    public long Execute(in ShardOp op, RequestBuffer request, IBufferWriter<byte> output)
    {
        if (_owner is { IsOwnerThread: false })
        {
            ThrowNotOwner();
        }

        ReadOnlySpan<byte> key = op.Kind is OpKind.Count or OpKind.Flush ? default : request.Arg(op.KeyArg);
        switch (op.Kind)
        {
            case OpKind.Get:
                if (Find(key) is Entry found)
                {
                    Resp.Bulk(output, found.Value);
                }
                else
                {
                    Resp.Raw(output, Resp.NullBulk);
                }

                return 0;

            case OpKind.Set:
                bool stored = Set(key, request.Arg(op.ValueArg), op.Number, op.Flags);
                Resp.Raw(output, (op.Flags & SetFlags.ReplyInteger) != 0 ? (stored ? Resp.One : Resp.Zero) : stored ? Resp.Ok : Resp.NullBulk);
                return 0;

            case OpKind.Put:
                Set(key, request.Arg(op.ValueArg), 0, SetFlags.None);
                return 0;

            case OpKind.IncrBy:
                IncrBy(key, op.Number, output);
                return 0;

            case OpKind.Expire:
                Resp.Raw(output, Expire(key, op.Number) ? Resp.One : Resp.Zero);
                return 0;

            case OpKind.Ttl:
            case OpKind.PTtl:
                Resp.Integer(output, TimeToLive(key, op.Kind == OpKind.PTtl));
                return 0;

            case OpKind.Delete:
                if (Find(key) is Entry doomed)
                {
                    Remove(doomed);
                    return 1;
                }

                return 0;

            case OpKind.Exists:
                return Find(key) is null ? 0 : 1;

            case OpKind.Count:
                return _map.Count;

            case OpKind.Flush:
                Flush();
                return 0;

            default:
                throw new InvalidOperationException($"Unknown shard operation {op.Kind}.");
        }
    }

    /// <summary>Stops the expiry timer.</summary>
    public void Dispose()
    {
        _disposed = true;
        _timer?.Dispose();
        _timer = null;
    }

    private Entry? Find(ReadOnlySpan<byte> key)
    {
        if (!_lookup.TryGetValue(key, out Entry? entry))
        {
            return null;
        }

        if (entry.ExpiresAt != 0 && NowMs > entry.ExpiresAt)
        {
            Remove(entry); // lazy expiry: the read that finds it late deletes it
            return null;
        }

        return entry;
    }

    private bool Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long ttlMs, byte flags)
    {
        Entry? entry = Find(key);
        if (((flags & SetFlags.IfNotExists) != 0 && entry is not null) || ((flags & SetFlags.IfExists) != 0 && entry is null))
        {
            return false;
        }

        entry ??= Add(key);
        entry.Store(value);
        SetDeadline(entry, ttlMs == 0 ? 0 : NowMs + ttlMs);
        return true;
    }

    private void IncrBy(ReadOnlySpan<byte> key, long delta, IBufferWriter<byte> output)
    {
        Entry? entry = Find(key);
        long current = 0;
        if (entry is not null && !RespInteger.TryParse(entry.Value, out current))
        {
            Resp.Error(output, "ERR value is not an integer or out of range");
            return;
        }

        if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
        {
            Resp.Error(output, "ERR increment or decrement would overflow");
            return;
        }

        long next = current + delta;
        entry ??= Add(key);
        Span<byte> digits = stackalloc byte[RespInteger.MaxLength];
        int length = RespInteger.Format(next, digits);
        digits[..length].CopyTo(entry.Reserve(RespInteger.MaxLength, length)); // the deadline stays, as in Redis
        Resp.Integer(output, next);
    }

    private bool Expire(ReadOnlySpan<byte> key, long ttlMs)
    {
        if (Find(key) is not Entry entry)
        {
            return false;
        }

        if (ttlMs <= 0)
        {
            Remove(entry);
            return true;
        }

        SetDeadline(entry, NowMs + ttlMs);
        return true;
    }

    private long TimeToLive(ReadOnlySpan<byte> key, bool milliseconds)
    {
        if (Find(key) is not Entry entry)
        {
            return -2;
        }

        if (entry.ExpiresAt == 0)
        {
            return -1;
        }

        long left = Math.Max(0, entry.ExpiresAt - NowMs);
        return milliseconds ? left : (left + 500) / 1000;
    }

    private Entry Add(ReadOnlySpan<byte> key)
    {
        byte[] copy = key.ToArray();
        var entry = new Entry(copy, []);
        _map.Add(copy, entry);
        return entry;
    }

    private void Remove(Entry entry)
    {
        _map.Remove(entry.Key);
        entry.Live = false;
        if (entry.ExpiresAt != 0)
        {
            _withDeadline--;
        }
    }

    private void Flush()
    {
        foreach (Entry entry in _map.Values)
        {
            entry.Live = false;
        }

        _map.Clear();
        _expiry.Clear();
        _withDeadline = 0;
    }

    private void SetDeadline(Entry entry, long deadline)
    {
        if (entry.ExpiresAt == 0 && deadline != 0)
        {
            _withDeadline++;
        }
        else if (entry.ExpiresAt != 0 && deadline == 0)
        {
            _withDeadline--;
        }

        entry.ExpiresAt = deadline;
        if (deadline != 0)
        {
            _expiry.Add(entry, deadline, _withDeadline);
            ArmTimer(deadline);
        }
    }

    /// <summary>Makes the timer wake by <paramref name="deadline"/> (a key expires once the clock is past it).</summary>
    private void ArmTimer(long deadline)
    {
        if (deadline >= _timerDeadline || _disposed)
        {
            return;
        }

        long sleep = Math.Clamp(deadline - NowMs + 1, 0, s_maxTimerSleepMs);
        _timerDeadline = NowMs + sleep;
        _timer ??= _clock.CreateTimer(s_onTimer, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(TimeSpan.FromMilliseconds(sleep), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        if (Guard is Lock guard)
        {
            lock (guard)
            {
                ExpireDue();
            }
        }
        else if (_owner is { IsOwnerThread: false } owner)
        {
            owner.SynchronizationContext.Post(s_expireOnOwner, this); // a clock whose timers fire off the core (a test's fake)
        }
        else
        {
            ExpireDue();
        }
    }

    /// <summary>Deletes the keys whose deadline passed (at most <see cref="ExpireBudget"/>), then sleeps until the next.</summary>
    private void ExpireDue()
    {
        if (_disposed)
        {
            return;
        }

        _timerDeadline = long.MaxValue;
        long now = NowMs;
        for (int expired = 0; _expiry.TryPeek(out Entry entry, out long deadline); expired++)
        {
            if (deadline >= now)
            {
                ArmTimer(deadline);
                return;
            }

            if (expired == ExpireBudget)
            {
                ArmTimer(now - 1); // more are due: wake again at once, after the work queued meanwhile
                return;
            }

            _expiry.RemoveFirst();
            Remove(entry);
        }
    }

    [DoesNotReturn]
    private void ThrowNotOwner() => throw new InvalidOperationException(
        $"Shard {Index} belongs to executor '{_owner!.Name}' and was touched from thread '{Thread.CurrentThread.Name}' " +
        $"(executor '{LocalExecutor.Current?.Name ?? "none"}'): a request for another core's key must hop to its owner.");
}
