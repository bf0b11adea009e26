namespace ThreadPerCore;

/// <summary>What a <see cref="WorkItem"/> holds, so the run loop dispatches with a switch instead of type tests.</summary>
internal enum WorkKind : byte
{
    /// <summary>A raw task to poll (<see cref="LocalTask"/>).</summary>
    Poll,

    /// <summary>A raw task woken from another thread; the owner applies the wake (it may be running or queued already).</summary>
    Wake,

    /// <summary>A raw task cancelled from another thread; the owner applies the cancel.</summary>
    Cancel,

    /// <summary>A <see cref="System.Threading.Tasks.Task"/> handed to the queue's <see cref="System.Threading.Tasks.TaskScheduler"/>.</summary>
    SchedulerTask,

    /// <summary>A <see cref="System.Threading.SendOrPostCallback"/> and its state, from <c>SynchronizationContext.Post</c>.</summary>
    PostCallback,

    /// <summary>An <see cref="System.Action"/> (an await continuation resumed on this queue).</summary>
    Action,

    /// <summary>An <see cref="System.Action{T}"/> of object and its state.</summary>
    StateAction,

    /// <summary>An executor operation requested by another thread (arm or cancel a timer, add a task queue, change
    /// shares): an <see cref="System.Action{T}"/> of object applied by the owner when it drains the inbox, outside any
    /// queue. Once the executor has closed its gate nothing runs it: a request about a timer ends what the timer was for
    /// (<see cref="TimerEntry.OnShutdown"/>: a sleep or timeout cancelled), any other finds nothing left to change.</summary>
    Control,
}
