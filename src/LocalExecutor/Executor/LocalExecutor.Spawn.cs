using System;
using System.Runtime.CompilerServices;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Starting work on an executor from any thread, and awaiting it from anywhere. Every awaitable body shape has its
// own overload (Task, Task<T>, ValueTask, ValueTask<T> here; LocalTask and LocalTask<T> in LocalExecutor.Start.cs),
// so a lambda returning an awaitable never binds to Spawn<T>(Func<T>) and comes back unawaited. Every body runs under
// the caller's ExecutionContext, captured when it is spawned, as Task.Run would.
[SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "The result getters only run on completed tasks.")]
public sealed partial class LocalExecutor
{
    /// <summary>
    /// Runs <paramref name="work"/> on this executor and returns a task to await from anywhere: the awaiting code
    /// resumes where it was (its own executor, its synchronization context, or the thread pool). One allocation:
    /// the returned task, which is also the raw task the executor polls.
    /// </summary>
    /// <remarks>Called from work running on this executor, the task joins that work's task queue; from anywhere else it
    /// goes to the default queue. To choose the queue, use <see cref="Spawn{T}(TaskQueueHandle, Func{T})"/>. The work runs
    /// under the caller's execution context (its <see cref="AsyncLocal{T}"/> values), and what it changes there stays
    /// in the work.</remarks>
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
        return ScheduleSpawn(new DelegateTask<TState, T>(SpawnTarget, work, state));
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
    /// <param name="body">The async body; a null task it returns fails the spawn with <see cref="InvalidOperationException"/>.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task<T>, ValueTask<T> and LocalTask<T> alike: it means this one
    public LocalTask<T> Spawn<T>(Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(SpawnTarget, static f => f(), body);
    }

    /// <summary>Calls the async <paramref name="body"/> on this executor. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <param name="body">The async body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task, ValueTask and LocalTask alike: it means this one
    public LocalTask Spawn(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(SpawnTarget, static f => f(), body);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> on this executor and completes with the task it
    /// returns; with a static lambda no closure is allocated. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The async body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    [OverloadResolutionPriority(1)]
    public LocalTask<T> Spawn<TState, T>(Func<TState, Task<T>> body, TState state)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(SpawnTarget, body, state);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> on this executor. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <param name="body">The async body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    [OverloadResolutionPriority(1)]
    public LocalTask Spawn<TState>(Func<TState, Task> body, TState state)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(SpawnTarget, body, state);
    }

    /// <summary>Calls <paramref name="body"/> on this executor and completes with the <see cref="ValueTask{TResult}"/> it
    /// returns, awaited there. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<T>(Func<ValueTask<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(SpawnTarget, static f => f(), body);
    }

    /// <summary>Calls <paramref name="body"/> on this executor and completes with the <see cref="ValueTask"/> it returns.
    /// See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <param name="body">The body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Spawn(Func<ValueTask> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(SpawnTarget, static f => f(), body);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> on this executor and completes with the
    /// <see cref="ValueTask{TResult}"/> it returns. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<TState, T>(Func<TState, ValueTask<T>> body, TState state)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(SpawnTarget, body, state);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> on this executor and completes with the
    /// <see cref="ValueTask"/> it returns. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <param name="body">The body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Spawn<TState>(Func<TState, ValueTask> body, TState state)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(SpawnTarget, body, state);
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
        Post(SpawnTarget, WorkKind.Action, callback, null, CaptureFlow(), rejectWhenStopped: true);
    }

    /// <summary>Where a spawn without a queue goes: the queue running on this executor's thread (as Glommio's
    /// <c>spawn_local</c>), else the default queue.</summary>
    private TaskQueue SpawnTarget => IsOwnerThread && t_currentQueue is { } current ? current : _defaultQueue;

    // The task each kind of body becomes, once for both the queue-less spawns and those into a chosen queue. A body
    // without state travels as its own state, called by a static lambda (cached by the compiler).
    private LocalTask<T> SpawnWork<T>(TaskQueue queue, Func<T> work) =>
        ScheduleSpawn(new DelegateTask<Func<T>, T>(queue, static f => f(), work));

    private LocalTask<VoidResult> SpawnAction(TaskQueue queue, Action work) =>
        ScheduleSpawn(new DelegateTask<Action, VoidResult>(queue, static a => { a(); return default; }, work));

    private LocalTask<T> SpawnTaskBody<TState, T>(TaskQueue queue, Func<TState, Task<T>> body, TState state) =>
        ScheduleSpawn(new TaskBodyTask<TState, T>(queue, body, state, static t => ((Task<T>)t).GetAwaiter().GetResult()));

    private LocalTask<VoidResult> SpawnTaskBody<TState>(TaskQueue queue, Func<TState, Task> body, TState state) =>
        ScheduleSpawn(new TaskBodyTask<TState, VoidResult>(queue, body, state, static t =>
        {
            t.GetAwaiter().GetResult();
            return default;
        }));

    private LocalTask<T> SpawnValueTaskBody<TState, T>(TaskQueue queue, Func<TState, ValueTask<T>> body, TState state) =>
        ScheduleSpawn(new ValueTaskBodyTask<TState, T>(queue, body, state));

    private LocalTask<VoidResult> SpawnValueTaskBody<TState>(TaskQueue queue, Func<TState, ValueTask> body, TState state) =>
        ScheduleSpawn(new ValueTaskBodyTask<TState>(queue, body, state));

    /// <summary>Hands a spawned task its caller's execution context and queues it.</summary>
    private LocalTask<T> ScheduleSpawn<T>(LocalTask<T> task)
    {
        if (IsOwnerThread)
        {
            // On its own thread the executor reads the context field off its Thread object: in the common case (the
            // loop's own context) that costs no thread-local lookup, which ExecutionContext.Capture would.
            if (!IsOnLoopContext())
            {
                task.BodyContext = CaptureFlow();
            }

            task.WakeByRef();
        }
        else
        {
            task.BodyContext = CaptureFlow();
            EnqueueForeign(new WorkItem(WorkKind.Wake, task), rejectWhenStopped: true);
        }

        return task;
    }

    /// <summary>True when the owner thread runs under the loop's own execution context (owner thread only); false also
    /// when that cannot be read cheaply, and the caller then captures the context the ordinary way.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsOnLoopContext() =>
        ThreadContextFields.Available && _loopRawContextKnown && ThreadContextFields.ExecutionContext(_thread) == _loopRawContext;

    /// <summary>The caller's execution context, to run a body under; null when it is the loop's own (the default
    /// context, so the common case costs a thread-static read and a compare) or when the caller suppressed the flow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ExecutionContext? CaptureFlow()
    {
        ExecutionContext? context = ExecutionContext.Capture();
        return context == LoopContext ? null : context;
    }

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
