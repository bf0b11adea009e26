namespace ThreadPerCore;

/// <summary>What a piece of late work is (see <see cref="LocalExecutor.LateWork"/>).</summary>
public enum LateWorkKind
{
    /// <summary>Code of the core: an await continuation, a <c>SynchronizationContext.Post</c> callback (an
    /// <c>async void</c> method resuming), a posted callback. Run on the thread pool or rejected, as
    /// <see cref="LocalExecutorOptions.LateWorkPolicy"/> says.</summary>
    Continuation,

    /// <summary>A <see cref="System.Threading.Tasks.Task"/> queued to the executor's scheduler that never ran. Run on the
    /// thread pool or rejected, as <see cref="LocalExecutorOptions.LateWorkPolicy"/> says.</summary>
    ScheduledTask,

    /// <summary>A wake, start or cancel of a raw task (<see cref="LocalTask"/>): the task ends cancelled (a no-op if it
    /// had ended already).</summary>
    TaskWake,

    /// <summary>A request to arm or change a timer: its sleep or timeout ends cancelled.</summary>
    Timer,

    /// <summary>A blocked <c>SynchronizationContext.Send</c>: it fails with <see cref="System.ObjectDisposedException"/>.</summary>
    Send,

    /// <summary>A change to the executor's own structures (a task queue, shares, a socket) that shutdown tore down: nothing
    /// left to do.</summary>
    Control,
}
