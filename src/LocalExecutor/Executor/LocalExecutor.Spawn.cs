using System;
using System.Runtime.CompilerServices;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Starting work on an executor from any thread, and awaiting it from anywhere.
[SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "The result getters only run on completed tasks.")]
public sealed partial class LocalExecutor
{
    /// <summary>
    /// Runs <paramref name="work"/> on this executor and returns a task to await from anywhere: the awaiting code
    /// resumes where it was (its own executor, its synchronization context, or the thread pool). One allocation:
    /// the returned task, which is also the raw task the executor polls.
    /// </summary>
    /// <remarks>Called from work running on this executor, the task joins that work's task queue; from anywhere else it
    /// goes to the default queue. To choose the queue, use <see cref="Spawn{T}(TaskQueueHandle, Func{T})"/>.</remarks>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work; its exception travels to the awaiter.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return SpawnWork(SpawnTarget, work);
    }

    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> on this executor; with a static lambda this allocates
    /// only the returned task. See <see cref="Spawn{T}(Func{T})"/>.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work.</param>
    /// <param name="state">The argument of the work.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<TState, T>(Func<TState, T> work, TState state)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Schedule(new DelegateTask<TState, T>(SpawnTarget, work, state));
    }

    /// <summary>Runs <paramref name="work"/> on this executor. See <see cref="Spawn{T}(Func{T})"/>.</summary>
    /// <param name="work">The work.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Spawn(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return SpawnAction(SpawnTarget, work);
    }

    /// <summary>
    /// Calls the async <paramref name="body"/> on this executor (so it runs there, with its continuations) and
    /// completes with the task it returns.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The async body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task<T> and LocalTask<T> alike: it means this one
    public LocalTask<T> Spawn<T>(Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(SpawnTarget, body);
    }

    /// <summary>Calls the async <paramref name="body"/> on this executor. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <param name="body">The async body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task and LocalTask alike: it means this one
    public LocalTask Spawn(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(SpawnTarget, body);
    }

    /// <summary>
    /// Calls <paramref name="body"/>, a method returning <see cref="LocalTask{T}"/>, so that it starts on this executor
    /// (wherever the caller is, another executor included). The method's task is itself the raw task: nothing more is
    /// allocated. <c>Spawn(() =&gt; MethodAsync())</c> does the same; <c>Start</c> says it even for an async lambda, which
    /// <c>Spawn</c> reads as a <see cref="Task{TResult}"/> body.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>; code before the call runs on the
    /// calling thread.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Start<T>(Func<LocalTask<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(SpawnTarget, body);
    }

    /// <summary>
    /// Starts a method returning <see cref="LocalTask{T}"/> on this executor; the same as
    /// <see cref="Start{T}(Func{LocalTask{T}})"/>, so that <c>Spawn(() =&gt; MethodAsync())</c> means what it says.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<T>(Func<LocalTask<T>> body) => Start(body);

    private LocalTask<T> StartLocalTaskBody<T>(TaskQueue queue, Func<LocalTask<T>> body)
    {
        ThrowIfStopped();
        TaskQueue? previous = t_spawnTarget;
        t_spawnTarget = queue;
        try
        {
            return body();
        }
        finally
        {
            t_spawnTarget = previous;
        }
    }

    /// <summary>
    /// Queues <paramref name="callback"/> to run on this executor, fire and forget. Its exception goes to
    /// <see cref="UnhandledException"/>. Cheaper than a spawn: nothing to await.
    /// </summary>
    /// <param name="callback">The callback.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public void Post(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ExecutionContext? context = ExecutionContext.Capture();
        Post(SpawnTarget, WorkKind.Action, callback, null, context == LoopContext ? null : context, rejectWhenStopped: true);
    }

    /// <summary>Where a spawn without a queue goes: the queue running on this executor's thread (as Glommio's
    /// <c>spawn_local</c>), else the default queue.</summary>
    private TaskQueue SpawnTarget => IsOwnerThread && t_currentQueue is { } current ? current : _defaultQueue;

    // The task each kind of body becomes, once for both the queue-less spawns and those into a chosen queue.
    private LocalTask<T> SpawnWork<T>(TaskQueue queue, Func<T> work) =>
        Schedule(new DelegateTask<Func<T>, T>(queue, static f => f(), work));

    private LocalTask<VoidResult> SpawnAction(TaskQueue queue, Action work) =>
        Schedule(new DelegateTask<Action, VoidResult>(queue, static a => { a(); return default; }, work));

    private LocalTask<T> SpawnTaskBody<T>(TaskQueue queue, Func<Task<T>> body) =>
        Schedule(new TaskBodyTask<Func<Task<T>>, T>(queue, static f => f(), body, static t => ((Task<T>)t).GetAwaiter().GetResult()));

    private LocalTask<VoidResult> SpawnTaskBody(TaskQueue queue, Func<Task> body) =>
        Schedule(new TaskBodyTask<Func<Task>, VoidResult>(queue, static f => f(), body, static t =>
        {
            t.GetAwaiter().GetResult();
            return default;
        }));

    private LocalTask<T> Schedule<T>(LocalTask<T> task)
    {
        if (IsOwnerThread)
        {
            task.WakeByRef();
        }
        else
        {
            EnqueueForeign(new WorkItem(WorkKind.Wake, task), rejectWhenStopped: true);
        }

        return task;
    }
}
