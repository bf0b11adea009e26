using System.Diagnostics;

namespace ThreadPerCore;

/// <summary>One item waiting in a task queue or the inbox, as the debugger views show it: what it is in words, and
/// the object behind it to expand.</summary>
[DebuggerDisplay("{Description,nq}", Name = "{Kind,nq}")]
internal sealed class QueuedWork
{
    private QueuedWork(string kind, string description, object target, object? state)
    {
        Kind = kind;
        Description = description;
        Target = target;
        State = state;
    }

    /// <summary>How the item came: a poll of a raw task, a TPL task, a posted callback, a continuation, a wake.</summary>
    public string Kind { get; }

    /// <summary>The work in words (the async method, the lambda, the timer callback).</summary>
    public string Description { get; }

    /// <summary>The raw task, TPL task or delegate.</summary>
    public object Target { get; }

    /// <summary>The callback's state, if any.</summary>
    public object? State { get; }

    /// <summary>Describes a snapshot of items; entries torn by a concurrent write (never while a debugger has the
    /// threads frozen) are skipped.</summary>
    public static QueuedWork[] Of(WorkItem[] items)
    {
        var views = new System.Collections.Generic.List<QueuedWork>(items.Length);
        foreach (WorkItem item in items)
        {
            if (item.Target is not null)
            {
                views.Add(new QueuedWork(KindName(item.Kind), WorkDescription.Of(item.Kind, item.Target, item.State).Text, item.Target, item.State));
            }
        }

        return [.. views];
    }

    private static string KindName(WorkKind kind) => kind switch
    {
        WorkKind.Poll => "poll",
        WorkKind.Wake => "wake",
        WorkKind.Cancel => "cancel",
        WorkKind.SchedulerTask => "task",
        WorkKind.PostCallback => "posted callback",
        WorkKind.Action => "continuation",
        WorkKind.StateAction => "callback",
        _ => "executor operation",
    };
}
