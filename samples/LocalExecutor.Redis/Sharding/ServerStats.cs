using System;
using System.Threading;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>
/// The counters INFO reports: commands served (one padded counter per core, so cores never share a cache line) and
/// connections. Commands are counted once per pipelined batch, not per command.
/// </summary>
public sealed class ServerStats
{
    private const int Stride = 16; // 128 bytes between counters
    private readonly long[] _commands;
    private long _connectionsReceived;
    private long _connectedClients;

    internal ServerStats(int slots)
    {
        Slots = Math.Max(1, slots);
        _commands = new long[Slots * Stride];
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

    internal int Slots { get; }

    internal void AddCommands(int slot, int count) => Interlocked.Add(ref _commands[(slot % Slots) * Stride], count);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsReceived);
        Interlocked.Increment(ref _connectedClients);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connectedClients);
}
