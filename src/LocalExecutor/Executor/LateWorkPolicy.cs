namespace ThreadPerCore;

/// <summary>
/// What an executor does with code of its own that arrives after it stopped: a continuation of an <c>await</c> whose
/// task completed after the shutdown, an <c>async void</c> method resuming, a callback or <see cref="System.Threading.Tasks.Task"/>
/// queued before the stop that shutdown did not get to. Its thread is gone, so the code either runs elsewhere or not at
/// all. Raw tasks (<see cref="LocalTask"/>) are not concerned: a stopped executor ends them cancelled, whatever the policy.
/// </summary>
public enum LateWorkPolicy
{
    /// <summary>Run it on the thread pool, so the awaiting method finishes (its <c>finally</c> blocks run, its task
    /// completes) instead of hanging; what it throws is reported as unhandled. The code then runs off its core, beside
    /// other threads: state that only the core touched may be touched concurrently.</summary>
    RunOnThreadPool,

    /// <summary>Do not run it: report an <see cref="System.InvalidOperationException"/> naming the executor and the work
    /// through <see cref="LocalExecutor.UnhandledException"/> (or the default sink when no handler is attached). The
    /// awaiting method never resumes: its task stays pending. For code that must never run off its core.</summary>
    Reject,
}
