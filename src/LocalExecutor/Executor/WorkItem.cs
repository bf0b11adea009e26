using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// One entry of a run queue or of the inbox. A struct, so queueing any of the three doors' work allocates
/// nothing: the target, its state and the execution context to run it under travel inline in the ring.
/// </summary>
internal readonly struct WorkItem
{
    public readonly object Target;
    public readonly object? State;
    public readonly ExecutionContext? Context;
    public readonly TaskQueue? Queue;
    public readonly WorkKind Kind;

    public WorkItem(WorkKind kind, object target, object? state = null, ExecutionContext? context = null, TaskQueue? queue = null)
    {
        Kind = kind;
        Target = target;
        State = state;
        Context = context;
        Queue = queue;
    }
}
