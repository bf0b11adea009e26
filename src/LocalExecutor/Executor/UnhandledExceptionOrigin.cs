namespace ThreadPerCore;

/// <summary>Where an exception reported by <see cref="LocalExecutor.UnhandledException"/> came from.</summary>
public enum UnhandledExceptionOrigin
{
    /// <summary>Work on the executor that nothing awaits: a posted callback (<see cref="LocalExecutor.Post(System.Action)"/>,
    /// <c>SynchronizationContext.Post</c>), a timer callback, an <c>async void</c> method, a continuation whose
    /// synchronization context threw.</summary>
    Work,

    /// <summary>A <see cref="LocalTask"/> that faulted and that nothing awaits: detached (<see cref="LocalTask.Detach"/>),
    /// collected unobserved, or still unobserved when the executor shut down. The exception is an
    /// <see cref="UnobservedLocalTaskException"/> around the task's own.</summary>
    UnobservedTask,

    /// <summary>Work that arrived after the executor stopped (see <see cref="LocalExecutorOptions.LateWorkPolicy"/>): it
    /// threw on the thread pool, or the policy rejected it. Raised on the thread where it arrived.</summary>
    LateWork,
}
