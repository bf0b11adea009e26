using System;

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
    /// the price of burning its core for that long after each burst of work.
    /// </summary>
    public TimeSpan SpinBeforePark { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a task queue runs before <see cref="LocalExecutor.NeedsPreempt"/> turns true and the scheduler may
    /// switch queues, when no latency-sensitive queue has work (those bound the slice to their latency). Default 10 ms:
    /// Glommio's 100 ms makes a two-queue share split coarse over short intervals and lets foreign wakes into other
    /// queues wait up to a tenth of a second; switching every 10 ms costs a few microseconds per switch.
    /// </summary>
    public TimeSpan PreemptTimeSlice { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>What an exception thrown by posted work or an <c>async void</c> method does. Default: report and go on.</summary>
    public UnhandledExceptionPolicy UnhandledExceptionPolicy { get; set; } = UnhandledExceptionPolicy.Continue;

    /// <summary>
    /// Give the executor its own I/O reactor (Linux: an epoll instance and an eventfd, two descriptors), so that
    /// <see cref="IO.LocalConnection"/>s and <see cref="IO.LocalListener"/>s complete on its thread and an idle executor
    /// sleeps in the reactor's wait. True by default; ignored (no reactor) on other systems. With no descriptor
    /// registered, the running loop makes no extra system call either way.
    /// </summary>
    public bool EnableReactor { get; set; } = true;

    internal LocalExecutorOptions Clone() => (LocalExecutorOptions)MemberwiseClone();
}
