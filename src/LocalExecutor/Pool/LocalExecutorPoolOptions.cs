using System;
using System.Threading;

namespace ThreadPerCore;

/// <summary>How a <see cref="LocalExecutorPool"/> is started.</summary>
public sealed class LocalExecutorPoolOptions
{
    /// <summary>Where the executors run. Default: <see cref="PoolPlacement.OnePerCpu"/>.</summary>
    public PoolPlacement Placement { get; set; } = PoolPlacement.OnePerCpu();

    /// <summary>The prefix of the executors' names; shard <c>i</c> is named <c>{NamePrefix}-{i}</c>. Default: <c>pool</c>.</summary>
    public string NamePrefix { get; set; } = "pool";

    /// <summary>How long an idle executor spins before it sleeps; see <see cref="LocalExecutorOptions.SpinBeforePark"/>.</summary>
    public TimeSpan SpinBeforePark { get; set; } = TimeSpan.Zero;

    /// <summary>How long a shard's task queue runs before it may be preempted; see
    /// <see cref="LocalExecutorOptions.PreemptTimeSlice"/>. Default 10 ms; at least 1 ms.</summary>
    public TimeSpan PreemptTimeSlice { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>What an unobserved exception does to a shard; see <see cref="LocalExecutorOptions.UnhandledExceptionPolicy"/>.</summary>
    public UnhandledExceptionPolicy UnhandledExceptionPolicy { get; set; } = UnhandledExceptionPolicy.Continue;

    /// <summary>Whether each shard gets its own I/O reactor; see <see cref="LocalExecutorOptions.EnableReactor"/>. Default: true.</summary>
    public bool EnableReactor { get; set; } = true;

    /// <summary>How long disposing waits for each shard's thread; see <see cref="LocalExecutorOptions.ShutdownTimeout"/>.
    /// Default 30 s; positive, or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Each shard thread's stack size in bytes; see <see cref="LocalExecutorOptions.StackSize"/>. Default
    /// <see cref="LocalExecutorOptions.DefaultStackSize"/>; zero for the runtime's default.</summary>
    public int StackSize { get; set; } = LocalExecutorOptions.DefaultStackSize;

    /// <summary>How long disposing the pool lets each shard's work in flight finish; see
    /// <see cref="LocalExecutorOptions.DrainTimeout"/>. Default 5 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = LocalExecutorOptions.DefaultDrainTimeout;

    /// <summary>What a shard does with its code that arrives after it stopped; see <see cref="LocalExecutorOptions.LateWorkPolicy"/>.</summary>
    public LateWorkPolicy LateWorkPolicy { get; set; } = LateWorkPolicy.RunOnThreadPool;

    /// <summary>How long one turn may run before it is reported as a stall; see <see cref="LocalExecutorOptions.StallThreshold"/>.
    /// Default 50 ms; <see cref="Timeout.InfiniteTimeSpan"/> turns stall detection off.</summary>
    public TimeSpan StallThreshold { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>At most this many stall reports a minute per shard; see <see cref="LocalExecutorOptions.StallReportsPerMinute"/>.</summary>
    public int StallReportsPerMinute { get; set; } = 5;

    /// <summary>
    /// When true, the started pool sets <see cref="LocalExecutor.Default"/> to shard 0, so that methods returning
    /// <see cref="LocalTask{T}"/> called from threads outside the pool run there; disposing the pool restores the
    /// previous default if it is still shard 0. Default: false (the pool leaves the process-wide default alone).
    /// </summary>
    public bool SetAsDefault { get; set; }

    internal LocalExecutorPoolOptions Clone() => (LocalExecutorPoolOptions)MemberwiseClone();
}
