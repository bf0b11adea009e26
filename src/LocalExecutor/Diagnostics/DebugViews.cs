using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>What a debugger shows for a <see cref="LocalExecutor"/>: its statistics, each task queue with the items
/// waiting in it, the items other threads handed over and it has not applied yet, and the raw tasks that started and
/// have not finished (suspended ones included).</summary>
internal sealed class LocalExecutorDebugView
{
    /// <summary>How many live tasks the view lists at most.</summary>
    internal const int MaxLiveTasks = 1000;

    private readonly LocalExecutor _executor;

    public LocalExecutorDebugView(LocalExecutor executor) => _executor = executor;

    public string Name => _executor.Name;

    public Placement Placement => _executor.Placement;

    public System.Threading.Thread Thread => _executor.Thread;

    public ExecutorStats Stats => _executor.GetStats();

    public TaskQueueDebugView[] TaskQueues => [.. _executor.QueuesForDebugger.Select(queue => new TaskQueueDebugView(queue))];

    public QueuedWork[] Inbox => QueuedWork.Of(_executor.InboxForDebugger);

    public LocalTaskDebugView[] LiveTasks => [.. _executor.LiveTasks.Snapshot(MaxLiveTasks).Select(task => new LocalTaskDebugView(task))];
}

/// <summary>What a debugger shows for a task queue: its scheduling state and the items waiting in it, oldest first.</summary>
[DebuggerDisplay("{Name,nq}: {Items.Length} queued")]
internal sealed class TaskQueueDebugView
{
    private readonly TaskQueue _queue;

    public TaskQueueDebugView(TaskQueueHandle handle)
        : this(handle.Queue)
    {
    }

    internal TaskQueueDebugView(TaskQueue queue) => _queue = queue;

    public string Name => _queue.Name;

    public int Shares => _queue.CurrentShares;

    public Latency Latency => _queue.Latency;

    public bool IsRemoved => _queue.IsRemoved;

    public TaskQueueStats Stats => new(_queue);

    public QueuedWork[] Items => QueuedWork.Of(_queue.Items.ToArray());

    /// <summary>The <see cref="Task"/>s among the items (what <see cref="TaskScheduler"/>'s <c>GetScheduledTasks</c> returns).</summary>
    public Task[] ScheduledTasks => [.. _queue.Executor.GetScheduledTasks(_queue)];
}

/// <summary>What a debugger shows for a raw task: its state, its body in words, its outcome.</summary>
internal sealed class LocalTaskDebugView
{
    private readonly LocalTask _task;

    public LocalTaskDebugView(LocalTask task) => _task = task;

    public string Body => WorkDescription.OfLocalTask(_task).Text;

    public string State => _task.DebuggerStateText;

    public string Executor => _task.Executor.Name;

    public string TaskQueue => _task._queue.Name;

    public bool IsCompleted => _task.IsCompleted;

    public System.Exception? Exception => _task.Exception;

    /// <summary>The state machine or delegate itself, to expand.</summary>
    public object? BodyObject => _task.DiagnosticBody;
}
