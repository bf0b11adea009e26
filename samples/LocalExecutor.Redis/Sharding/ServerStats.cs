using System;
using System.Threading;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>
/// The counters INFO reports: commands served (one padded counter per core, so cores never share a cache line),
/// connections, and the cross-core hops of <see cref="ShardBatch"/>es. Commands are added once per pipelined batch, not
/// once per command.
/// </summary>
/// <remarks>The hop counters have one writer each: the sending core writes its "sent" slot, the owning core its
/// "served" slot (plain increments published with <see cref="Volatile.Write(ref long, long)"/>, no atomics on the
/// hop).</remarks>
public sealed class ServerStats
{
    private const int Stride = 16; // 128 bytes between counters
    private readonly long[] _commands;
    private readonly long[] _hopsSent;
    private readonly long[] _hopsServed;
    private long _connectionsReceived;
    private long _connectedClients;

    internal ServerStats(int slots)
    {
        Slots = Math.Max(1, slots);
        _commands = new long[Slots * Stride];
        _hopsSent = new long[Slots * Stride];
        _hopsServed = new long[Slots * Stride];
    }

    /// <summary>How many commands were served since the start.</summary>
    public long CommandsProcessed
    {
        get
        {
            long total = 0;
            for (int i = 0; i < Slots; i++)
            {
                total += Volatile.Read(ref _commands[i * Stride]);
            }

            return total;
        }
    }

    /// <summary>How many connections were accepted since the start.</summary>
    public long ConnectionsReceived => Volatile.Read(ref _connectionsReceived);

    /// <summary>How many connections are open.</summary>
    public long ConnectedClients => Volatile.Read(ref _connectedClients);

    /// <summary>Batches sent to another core's shard since the start, from every core: each is one hop to the owner and
    /// one back, however many commands it carried.</summary>
    public long ShardHops
    {
        get
        {
            long total = 0;
            for (int i = 0; i < Slots; i++)
            {
                total += Volatile.Read(ref _hopsSent[i * Stride]);
            }

            return total;
        }
    }

    internal int Slots { get; }

    /// <summary>Batches connections on core <paramref name="core"/> sent to other cores' shards.</summary>
    public long ShardHopsSentFrom(int core) => Volatile.Read(ref _hopsSent[core * Stride]);

    /// <summary>Batches shard <paramref name="shard"/>'s core ran for connections on other cores.</summary>
    public long ShardHopsServedBy(int shard) => Volatile.Read(ref _hopsServed[shard * Stride]);

    /// <summary>Counts a batch sent from <paramref name="core"/>; called on that core only.</summary>
    internal void HopSent(int core)
    {
        ref long slot = ref _hopsSent[core * Stride];
        Volatile.Write(ref slot, slot + 1);
    }

    /// <summary>Counts a batch run by <paramref name="shard"/>'s core; called on that core only.</summary>
    internal void HopServed(int shard)
    {
        ref long slot = ref _hopsServed[shard * Stride];
        Volatile.Write(ref slot, slot + 1);
    }

    internal void AddCommands(int slot, int count) => Interlocked.Add(ref _commands[(slot % Slots) * Stride], count);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsReceived);
        Interlocked.Increment(ref _connectedClients);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connectedClients);
}
