using System;
using System.Threading;

namespace ThreadPerCore;

/// <summary>How a <see cref="LocalExecutor"/> is started.</summary>
public sealed class LocalExecutorOptions
{
    /// <summary>Where the executor's thread runs. Default: <see cref="Placement.Unbound"/>.</summary>
    public Placement Placement { get; set; } = Placement.Unbound;

    /// <summary>The thread's name, shown by debuggers and profilers. Default: <c>LocalExecutor-{id}</c>.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// How long an idle executor keeps checking for work before it sleeps. Zero (the default) sleeps at once and
    /// uses no CPU while idle; a short spin (tens of microseconds) cuts the latency of a wake from another thread at
    /// the price of burning its core for that long after each burst of work. Times too long to count in clock ticks
    /// (<see cref="TimeSpan.MaxValue"/>) mean "never sleep while idle".
    /// </summary>
    public TimeSpan SpinBeforePark { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a task queue runs before <see cref="LocalExecutor.NeedsPreempt"/> turns true and the scheduler may
    /// switch queues, when no latency-sensitive queue has work (those bound the slice to their latency). Default 10 ms:
    /// Glommio's 100 ms makes a two-queue share split coarse over short intervals and lets foreign wakes into other
    /// queues wait up to a tenth of a second; switching every 10 ms costs a few microseconds per switch.
    /// </summary>
    public TimeSpan PreemptTimeSlice { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>What an exception that nothing awaits (posted work, a timer callback, an <c>async void</c> method, a
    /// detached or unobserved faulted task) does after it was reported. Default: report and go on.</summary>
    public UnhandledExceptionPolicy UnhandledExceptionPolicy { get; set; } = UnhandledExceptionPolicy.Continue;

    /// <summary>
    /// Give the executor its own I/O reactor (Linux: an epoll instance and an eventfd, two descriptors), so that
    /// <see cref="IO.LocalConnection"/>s and <see cref="IO.LocalListener"/>s complete on its thread and an idle executor
    /// sleeps in the reactor's wait. True by default; ignored (no reactor) on other systems. With no descriptor
    /// registered, the running loop makes no extra system call either way.
    /// </summary>
    public bool EnableReactor { get; set; } = true;

    /// <summary>
    /// How long <see cref="LocalExecutor.Dispose"/> and <see cref="LocalExecutor.DisposeAsync"/> let the work in flight
    /// finish before they cancel what is left: the drain deadline of
    /// <see cref="LocalExecutor.ShutdownAsync(TimeSpan)"/> that disposing uses. Default 5 s (Kestrel's and the Generic
    /// Host's order of magnitude for a graceful stop, short enough for a console app that is asked to quit). Zero cancels
    /// at once, as the executor did before it drained; <see cref="Timeout.InfiniteTimeSpan"/> waits until the work ends.
    /// A drain that runs out of work ends at once, whatever this is.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = DefaultDrainTimeout;

    /// <summary>The default <see cref="DrainTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long disposing or <see cref="LocalExecutor.ShutdownAsync(TimeSpan)"/> waits, past the drain deadline, for the
    /// executor's thread to come back to its loop, cancel what is left and exit, before it throws
    /// <see cref="ShutdownTimeoutException"/>, which says what the thread is doing. Default 30 s (as
    /// <c>HostOptions.ShutdownTimeout</c>): an executor whose thread is blocked in a work item that never returns (a
    /// deadlock, an endless loop) makes disposing fail loudly instead of hanging. So a shutdown waits at most
    /// <see cref="DrainTimeout"/> plus this; one that finishes its work returns at once.
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits forever; times beyond <see cref="int.MaxValue"/> milliseconds do too.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// What happens to code of this executor that arrives after it stopped (a continuation whose task completed after
    /// the shutdown, a callback queued before the stop that shutdown did not run): see <see cref="ThreadPerCore.LateWorkPolicy"/>.
    /// Either way it is counted (<see cref="LocalExecutor.LateWorkItems"/>) and raised by <see cref="LocalExecutor.LateWork"/>.
    /// Default <see cref="LateWorkPolicy.RunOnThreadPool"/>.
    /// </summary>
    public LateWorkPolicy LateWorkPolicy { get; set; } = LateWorkPolicy.RunOnThreadPool;

    /// <summary>
    /// The executor thread's stack size in bytes; zero for the runtime's default for new threads (8 MiB on Linux with
    /// the usual <c>ulimit -s</c>, 1.5 MiB on Windows). Default <see cref="DefaultStackSize"/> (16 MiB): async methods
    /// returning <see cref="LocalTask"/> start inline on their executor, so a deep chain of calls that complete
    /// synchronously recurses on this stack, at about 0.5 KiB a level (about 16,000 levels in 8 MiB, where
    /// <see cref="System.Threading.Tasks.Task"/> methods, which the executor also starts inline, take about 0.23 KiB). The
    /// size is reserved address space; memory is committed only as deep as the stack is actually used.
    /// </summary>
    public int StackSize { get; set; } = DefaultStackSize;

    /// <summary>The default <see cref="StackSize"/>: 16 MiB.</summary>
    public const int DefaultStackSize = 16 * 1024 * 1024;

    /// <summary>
    /// How long a single turn (one poll of a task, one callback or continuation, one timer callback) may run before it
    /// is reported as a stall (<see cref="LocalExecutor.Stalled"/>, <see cref="ExecutorStats.Stalls"/>). Default 50 ms:
    /// five default time slices, long past any turn that yields as it should. <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns detection off. The watcher (the preemption clock's thread) looks at least every 10 ms and reports a turn it
    /// has seen running for the threshold, so a stall is reported between the threshold and about 10 ms after it.
    /// </summary>
    public TimeSpan StallThreshold { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How many stalls of this executor are reported in a minute (through <see cref="LocalExecutor.Stalled"/>, or to
    /// standard error and <see cref="System.Diagnostics.Trace"/> when no handler is attached), like
    /// Seastar's <c>--blocked-reactor-reports-per-minute</c>: the minute starts at the first stall reported after the
    /// previous one ended; stalls past the limit are counted in <see cref="ExecutorStats.Stalls"/> and the next report
    /// says how many were not reported (<see cref="ExecutorStalledEventArgs.SuppressedReports"/>). Default 5; zero
    /// reports none.
    /// </summary>
    public int StallReportsPerMinute { get; set; } = 5;

    internal LocalExecutorOptions Clone() => (LocalExecutorOptions)MemberwiseClone();
}
