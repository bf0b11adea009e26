using System;
using System.Threading;

namespace ThreadPerCore.Soak;

/// <summary>What every scenario shares: the two long-lived executors, the ledger, the task tracker, the canceller and
/// the stop signal.</summary>
internal sealed class SoakContext(LocalExecutor a, LocalExecutor b, Ledger ledger, TaskTracker tracker, ForeignCanceller canceller, int seed, CancellationToken stop)
{
    /// <summary>The first long-lived executor.</summary>
    public LocalExecutor A { get; } = a;

    /// <summary>The second long-lived executor.</summary>
    public LocalExecutor B { get; } = b;

    public Ledger Ledger { get; } = ledger;

    public TaskTracker Tracker { get; } = tracker;

    /// <summary>Cancels raw tasks from its own thread, a little later.</summary>
    public ForeignCanceller Canceller { get; } = canceller;

    /// <summary>Set when the duration is over: scenarios finish their round and return.</summary>
    public CancellationToken Stop { get; } = stop;

    public int Seed { get; } = seed;

    public LocalExecutor Pick(Random random) => random.Next(2) == 0 ? A : B;
}
