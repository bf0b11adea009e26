using System;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The synchronization context of a <see cref="LocalExecutor"/>, installed on its thread for the thread's whole
/// life. <c>await</c> without <c>ConfigureAwait(false)</c> resumes through it, so continuations come back to the
/// same core and the same task queue.
/// </summary>
/// <remarks>
/// <see cref="Post"/> queues the callback (no allocation). <see cref="Send"/> runs inline on the executor thread;
/// from any other thread it queues the callback and blocks until it ran, rethrowing its exception.
/// <see cref="OperationStarted"/>/<see cref="OperationCompleted"/> count outstanding <c>async void</c> methods, which
/// <see cref="LocalExecutor.Run(Func{System.Threading.Tasks.Task}, LocalExecutorOptions?)"/> waits for.
/// </remarks>
public sealed class LocalSynchronizationContext : SynchronizationContext
{
    internal LocalSynchronizationContext(TaskQueue queue)
    {
        Queue = queue;
    }

    /// <summary>The executor whose thread runs the posted work.</summary>
    public LocalExecutor Executor => Queue.Executor;

    internal TaskQueue Queue { get; }

    /// <summary>Queues <paramref name="d"/> to run on the executor thread, under the caller's execution context.</summary>
    /// <remarks>After the executor stopped, a post is a late continuation: it runs on the thread pool (see
    /// <see cref="LocalExecutor.DisposeAsync"/>), so the awaiting code finishes instead of hanging.</remarks>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        ExecutionContext? context = ExecutionContext.Capture();
        Queue.Executor.Post(Queue, WorkKind.PostCallback, d, state, context == Queue.Executor.LoopContext ? null : context);
    }

    /// <summary>
    /// Runs <paramref name="d"/> on the executor thread and returns when it finished: inline when called there,
    /// else by queueing it and blocking the caller. Its exception is rethrown to the caller unwrapped.
    /// </summary>
    /// <remarks>Blocking an executor thread is a deadlock waiting to happen: two executors that <c>Send</c> into each
    /// other would wait for each other forever. That cycle (and any longer one through <c>Send</c>,
    /// <see cref="LocalExecutor.RemoveTaskQueue"/> and <see cref="LocalExecutor.Dispose"/> of other executors) is detected
    /// when the second wait starts, and that <c>Send</c> throws instead. Waits the executor cannot see (a
    /// <c>Task.Wait</c>, a lock) are not detected. Prefer <c>Post</c> or an awaited spawn between executors.</remarks>
    /// <exception cref="ObjectDisposedException">The executor has shut down, or shut down before the callback ran.</exception>
    /// <exception cref="InvalidOperationException">Called on the thread of another executor, and the target executor's
    /// thread is itself blocked (directly or through others) on the caller's executor: the message names the cycle.
    /// The callback does not run.</exception>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        LocalExecutor executor = Queue.Executor;
        if (executor.IsOwnerThread)
        {
            d(state);
            return;
        }

        using var request = new SendRequest(d, state);
        using (LocalExecutor.EnterBlockingCall(executor, LocalExecutor.BlockingCall.Send))
        {
            executor.Post(Queue, WorkKind.StateAction, SendRequest.RunCallback, request, ExecutionContext.Capture(), rejectWhenStopped: true);
            request.WaitAndRethrow();
        }
    }

    /// <summary>Counts an operation (an <c>async void</c> method) that has started.</summary>
    public override void OperationStarted() => Queue.Executor.OperationStarted();

    /// <summary>Counts an operation (an <c>async void</c> method) that has completed.</summary>
    public override void OperationCompleted() => Queue.Executor.OperationCompleted();

    /// <summary>
    /// Returns a new context for the same executor and queue. A new instance, so that a copy installed on another
    /// thread is never mistaken for this one (the runtime inlines continuations on reference equality).
    /// </summary>
    public override SynchronizationContext CreateCopy() => new LocalSynchronizationContext(Queue);

    /// <summary>Two contexts are equal when they post to the same executor queue.</summary>
    public override bool Equals(object? obj) => obj is LocalSynchronizationContext other && other.Queue == Queue;

    /// <inheritdoc />
    public override int GetHashCode() => Queue.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"LocalSynchronizationContext({Queue})";
}
