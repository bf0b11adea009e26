namespace ThreadPerCore;

/// <summary>
/// The state bits of a raw task (<see cref="LocalTask"/>). The word is plain, not atomic: only the thread of
/// the executor that owns the task ever reads or writes it. Wakes from other threads never touch it; they go
/// through the owner's inbox and are applied here by the owner.
/// </summary>
internal static class TaskState
{
    /// <summary>The task sits in its queue, or was woken while running and will be queued once after the poll.
    /// Set by a wake; cleared by the run loop when the poll starts.</summary>
    public const int Scheduled = 1 << 0;

    /// <summary>The task is being polled. Set and cleared by the run loop around the poll.</summary>
    public const int Running = 1 << 1;

    /// <summary>The body finished (result or exception stored). A wake of a completed task does nothing.</summary>
    public const int Completed = 1 << 2;

    /// <summary>No further poll will ever happen: the task was cancelled (or its executor shut down). A wake of a
    /// closed task does nothing; a queued closed task is skipped when dequeued.</summary>
    public const int Closed = 1 << 3;

    /// <summary>The task has been seen by its executor at least once and sits in the executor's live list, from
    /// which shutdown cancels whatever never finished.</summary>
    public const int Tracked = 1 << 4;

    /// <summary>The task finishes in its first poll (a spawned delegate), so it never enters the live list: until that
    /// poll it sits in a queue, where shutdown cancels it, and after it the task is done. Saves the list's link writes
    /// (and their GC write barriers) on every spawn.</summary>
    public const int RunsOnce = 1 << 5;

    /// <summary>The operation the task registered on during this poll had already completed: the run loop polls the
    /// task again at once, before anything else on the thread (a cancel included) can come between
    /// (<see cref="LocalTask.TryResumeInThisPoll"/>). Set during the poll; cleared by the run loop.</summary>
    public const int ResumeAtOnce = 1 << 6;

    /// <summary>Completed or closed: the task will never be polled again.</summary>
    public const int Finished = Completed | Closed;
}
