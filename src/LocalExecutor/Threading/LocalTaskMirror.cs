using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// The <see cref="Task"/> of <see cref="LocalTask.AsTask"/>: a delegate task that the local task's completion runs to
/// hand its outcome over, kept by <see cref="MirrorScheduler"/> until then. A promise task (a
/// <see cref="TaskCompletionSource"/>'s) would do the same, but the TPL never asks anyone before it blocks on one; before
/// it blocks on a scheduled task, it asks that task's scheduler to run it inline. That question is the hook that turns
/// a blocking wait on the executor's own thread, which could never end, into an exception.
/// </summary>
/// <remarks>
/// Outcomes: a result or a failure as the local task has it; a local task cancelled by <see cref="LocalTask.Cancel"/>,
/// a timeout or shutdown, or whose body threw <see cref="OperationCanceledException"/> with a token that cannot be
/// cancelled, gives a cancelled task. A body that threw <see cref="OperationCanceledException"/> for a token of its own
/// gives a faulted task holding that very exception, so that <c>await</c> rethrows it with its token (the TPL would only
/// mark the task cancelled for the task's own token, which cannot be the body's): this is what <c>Task.Run</c> does with
/// such a body too.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A source without a timer holds nothing to release; it may be cancelled from two threads at once.")]
internal sealed class LocalTaskMirror
{
    private static readonly Action<object?> s_outcome = static state => ((LocalTaskMirror)state!).ThrowIfNotSuccessful();
    private static readonly Action<object?> s_complete = static state => ((LocalTaskMirror)state!).Complete();

    private readonly CancellationTokenSource _cancel = new();
    private Task? _task;
    private InvalidOperationException? _blockingWait;

    private LocalTaskMirror(LocalTask source) => Source = source;

    public LocalTask Source { get; }

    public static Task Create(LocalTask source)
    {
        var mirror = new LocalTaskMirror(source);
        var task = new Task(s_outcome, mirror, mirror._cancel.Token, TaskCreationOptions.RunContinuationsAsynchronously);
        mirror.Attach(task);
        return task;
    }

    public static Task<T> Create<T>(LocalTask<T> source)
    {
        var mirror = new LocalTaskMirror(source);
        var task = new Task<T>(
            static state => ((LocalTaskMirror)state!).Result<T>(),
            mirror,
            mirror._cancel.Token,
            TaskCreationOptions.RunContinuationsAsynchronously);
        mirror.Attach(task);
        return task;
    }

    private void Attach(Task task)
    {
        _task = task;
        task.Start(MirrorScheduler.Instance); // queued nowhere: the completion below runs it
        Source.OnCompletedInline(s_complete, this);
    }

    /// <summary>On the completing thread, once the local task's outcome is published.</summary>
    private void Complete() => MirrorScheduler.Instance.Run(this, _task!);

    /// <summary>Decides how the mirror ends, once the local task completed; it ends as it runs. Any thread, as often as
    /// it is asked: the completion and a waiting thread may both get here, and the TPL runs the task once.</summary>
    internal void PrepareToRun()
    {
        if (Source.IsCanceled && Source.Exception is not OperationCanceledException { CancellationToken.CanBeCanceled: true })
        {
            _cancel.Cancel(); // the mirror ends cancelled when it runs
        }
    }

    /// <summary>A blocking wait on the executor's own thread: the mirror ends now, faulted with the exception that
    /// explains it, so the wait throws it (<c>GetAwaiter().GetResult()</c> as it is, <c>Wait()</c> and <c>.Result</c>
    /// inside an <see cref="AggregateException"/>, like any failure of a task). The local task goes on and completes as
    /// it would; <see cref="LocalTask.AsTask"/> gives a fresh mirror. Owner thread, which is the only one that could
    /// complete the source meanwhile.</summary>
    internal bool FailBlockingWait(MirrorScheduler scheduler, Task task)
    {
        _blockingWait = ThrowHelper.BlockingWaitOnOwnExecutor(Source);
        return scheduler.RunNow(task);
    }

    private void ThrowIfNotSuccessful()
    {
        if (_blockingWait is { } refused)
        {
            throw refused;
        }

        Source.ThrowIfNotSuccessful();
    }

    private T Result<T>()
    {
        ThrowIfNotSuccessful();
        return ((LocalTask<T>)Source).GetResultUnchecked();
    }
}

/// <summary>
/// Keeps the mirrors of <see cref="LocalTaskMirror"/>: queueing does nothing, completion runs them, and a wait that
/// would block the local task's own executor thread throws instead (see
/// <see cref="ThrowHelper.BlockingWaitOnOwnExecutor"/>).
/// </summary>
internal sealed class MirrorScheduler : TaskScheduler
{
    public static readonly MirrorScheduler Instance = new();

    /// <summary>One: a mirror only hands an outcome over.</summary>
    public override int MaximumConcurrencyLevel => 1;

    internal bool Run(LocalTaskMirror mirror, Task task)
    {
        mirror.PrepareToRun();
        return TryExecuteTask(task);
    }

    internal bool RunNow(Task task) => TryExecuteTask(task);

    /// <inheritdoc />
    protected override void QueueTask(Task task)
    {
    }

    /// <summary>
    /// Asked by <c>Task.Wait()</c>, <c>.Result</c>, <c>GetAwaiter().GetResult()</c> and <c>Task.WaitAll</c> (waits
    /// without a timeout or token) before they block. A completed local task hands its outcome over now; a pending one
    /// waited for on its own executor's thread can never complete, so the wait fails (the mirror ends faulted with an
    /// <see cref="InvalidOperationException"/> naming the way out); another thread waits as usual.
    /// </summary>
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued)
    {
        if (task.AsyncState is not LocalTaskMirror mirror)
        {
            return false;
        }

        LocalTask source = mirror.Source;
        if (source.IsCompleted)
        {
            return Run(mirror, task);
        }

        // Throwing here would reach the waiter wrapped in a TaskSchedulerException; failing the mirror gives the plain
        // exception, as any failed task does.
        return source.Executor.IsOwnerThread && mirror.FailBlockingWait(this, task);
    }

    /// <inheritdoc />
    protected override IEnumerable<Task>? GetScheduledTasks() => null; // mirrors are never queued
}
