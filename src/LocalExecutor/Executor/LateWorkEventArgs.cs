using System;

namespace ThreadPerCore;

/// <summary>A work item that arrived after its executor stopped, raised by <see cref="LocalExecutor.LateWork"/>.</summary>
public sealed class LateWorkEventArgs : EventArgs
{
    private readonly object _work;
    private Type? _workType;
    private string? _description;

    internal LateWorkEventArgs(LocalExecutor executor, in WorkItem item, bool runsOnThreadPool)
    {
        Executor = executor;
        Kind = KindOf(in item);
        _work = SubjectOf(in item);
        RunsOnThreadPool = runsOnThreadPool;
    }

    /// <summary>The executor that had stopped.</summary>
    public LocalExecutor Executor { get; }

    /// <summary>What the work is, which decides what happens to it.</summary>
    public LateWorkKind Kind { get; }

    /// <summary>True when the work is code that now runs on the thread pool (<see cref="LateWorkPolicy.RunOnThreadPool"/>);
    /// false when it is rejected, or is not code (a wake, a timer request).</summary>
    public bool RunsOnThreadPool { get; }

    /// <summary>The type a user recognises the work by: the compiler's state machine of the async method that resumes, the
    /// declaring type of a callback, the task's type.</summary>
    public Type WorkType => _workType ??= WorkNames.TypeOf(_work);

    /// <summary>The work as <c>Namespace.Type.Method</c>: the async method that resumes, or the callback's method.</summary>
    public string Description => _description ??= WorkNames.Describe(_work);

    /// <inheritdoc />
    public override string ToString() => $"Late work on executor '{Executor.Name}': {Kind} {Description}";

    /// <summary>True for items that carry code of the core, which the late-work policy decides about.</summary>
    internal static bool RunsCode(in WorkItem item) =>
        item.Kind is WorkKind.SchedulerTask or WorkKind.PostCallback or WorkKind.Action
        || (item.Kind == WorkKind.StateAction && item.State is not SendRequest);

    /// <summary>The failure reported for late work that <see cref="LateWorkPolicy.Reject"/> does not run.</summary>
    internal static InvalidOperationException CreateRejection(LocalExecutor executor, in WorkItem item) => new(
        $"Late work rejected: {KindOf(in item)} {WorkNames.Describe(SubjectOf(in item))} arrived after executor '{executor.Name}' "
        + "stopped, and LateWorkPolicy.Reject does not run code of a core off it: it did not run, and code awaiting it does not resume. "
        + "Let the work finish before the shutdown's deadline (ShutdownAsync, LocalExecutorOptions.DrainTimeout), or choose LateWorkPolicy.RunOnThreadPool.");

    private static LateWorkKind KindOf(in WorkItem item) => item.Kind switch
    {
        WorkKind.Wake or WorkKind.Cancel or WorkKind.Poll => LateWorkKind.TaskWake,
        WorkKind.Control when item.State is TimerEntry => LateWorkKind.Timer,
        WorkKind.Control => LateWorkKind.Control,
        WorkKind.SchedulerTask => LateWorkKind.ScheduledTask,
        WorkKind.StateAction when item.State is SendRequest => LateWorkKind.Send,
        _ => LateWorkKind.Continuation,
    };

    /// <summary>What names the work: for a <c>SynchronizationContext.Post</c> of an await continuation, the continuation
    /// (the state argument), not the runtime's static callback that runs it.</summary>
    private static object SubjectOf(in WorkItem item) => item.Kind switch
    {
        WorkKind.PostCallback when item.State is Delegate continuation => continuation,
        WorkKind.Control when item.State is not null => item.State,
        WorkKind.StateAction when item.State is SendRequest => typeof(SendRequest),
        _ => item.Target,
    };
}
