using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using ThreadPerCore.Redis.Sharding;

namespace ThreadPerCore.Redis.Hosting;

/// <summary>What every connection of one server shares: its settings as INFO and CONFIG report them, and its counters.</summary>
public sealed class ServerContext
{
    private long _nextClientId;

    internal ServerContext(string transport, int cores, long maxBulkLength, Action<string>? log)
    {
        Transport = transport;
        Cores = cores;
        MaxBulkLength = maxBulkLength;
        Log = log;
        Stats = new ServerStats(cores);
    }

    /// <summary>The transport's name ("reactor", "sockets", "threadpool").</summary>
    public string Transport { get; }

    /// <summary>How many shards (and, on the executors, cores).</summary>
    public int Cores { get; }

    /// <summary>The port the server listens on, once it is bound.</summary>
    public int Port { get; internal set; }

    /// <summary>The longest bulk string a request may carry.</summary>
    public long MaxBulkLength { get; }

    /// <summary>The executors the server runs on, shard <c>i</c>'s owner at <c>i</c>; empty on the thread pool. INFO's
    /// <c>executors</c> section sums their <see cref="ExecutorStats"/>.</summary>
    public IReadOnlyList<LocalExecutor> Executors { get; internal set; } = [];

    /// <summary>The counters.</summary>
    public ServerStats Stats { get; }

    /// <summary>Where notable events go (protocol errors, failed connections); null for nowhere.</summary>
    public Action<string>? Log { get; }

    /// <summary>When the server started (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; } = Stopwatch.GetTimestamp();

    internal long NextClientId() => Interlocked.Increment(ref _nextClientId);
}
