using System;

namespace ThreadPerCore;

// Starting methods that return LocalTask or LocalTask<T> on this executor. Their task is itself the raw task, so
// the body is called (on the caller's thread, with this executor as the target of its builder) and its task is
// returned: nothing more is allocated. Spawn overloads taking such bodies mean the same, so that
// Spawn(() => MethodAsync()) waits for the method and surfaces its exception instead of binding to Spawn<T>(Func<T>).
public sealed partial class LocalExecutor
{
    /// <summary>
    /// Calls <paramref name="body"/>, a method returning <see cref="LocalTask{T}"/>, so that it starts on this executor
    /// (wherever the caller is, another executor included). The method's task is itself the raw task: nothing more is
    /// allocated. <c>Spawn(() =&gt; MethodAsync())</c> does the same; <c>Start</c> says it even for an async lambda, which
    /// <c>Spawn</c> reads as a <see cref="System.Threading.Tasks.Task{TResult}"/> body.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>; code before the call runs on the
    /// calling thread. A null task it returns gives a task that fails with <see cref="InvalidOperationException"/>, as a
    /// spawned body returning a null <see cref="System.Threading.Tasks.Task"/> does.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Start<T>(Func<LocalTask<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(SpawnTarget, static f => f(), body);
    }

    /// <summary>Calls <paramref name="body"/>, a method returning <see cref="LocalTask"/>, so that it starts on this
    /// executor. See <see cref="Start{T}(Func{LocalTask{T}})"/>.</summary>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>, or an async lambda.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Start(Func<LocalTask> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(SpawnTarget, static f => f(), body);
    }

    /// <summary>
    /// Starts a method returning <see cref="LocalTask{T}"/> on this executor; the same as
    /// <see cref="Start{T}(Func{LocalTask{T}})"/>, so that <c>Spawn(() =&gt; MethodAsync())</c> means what it says.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<T>(Func<LocalTask<T>> body) => Start(body);

    /// <summary>Starts a method returning <see cref="LocalTask"/> on this executor; the same as
    /// <see cref="Start(Func{LocalTask})"/>.</summary>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Spawn(Func<LocalTask> body) => Start(body);

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> so that the method it calls starts on this
    /// executor; with a static lambda no closure is allocated. See <see cref="Start{T}(Func{LocalTask{T}})"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <param name="state">The argument of the body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<TState, T>(Func<TState, LocalTask<T>> body, TState state)
    {
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(SpawnTarget, body, state);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> so that the method it calls starts on this
    /// executor. See <see cref="Start{T}(Func{LocalTask{T}})"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <param name="state">The argument of the body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Spawn<TState>(Func<TState, LocalTask> body, TState state)
    {
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(SpawnTarget, body, state);
    }

    private LocalTask<T> StartLocalTaskBody<TState, T>(TaskQueue queue, Func<TState, LocalTask<T>> body, TState state) =>
        CallWithTarget(queue, body, state) ?? NullBodyTask<T>(queue);

    private LocalTask StartLocalTaskBody<TState>(TaskQueue queue, Func<TState, LocalTask> body, TState state) =>
        CallWithTarget(queue, body, state) ?? NullBodyTask<VoidResult>(queue);

    /// <summary>Calls the body with <paramref name="queue"/> as the target of the builders it starts.</summary>
    private TTask? CallWithTarget<TState, TTask>(TaskQueue queue, Func<TState, TTask> body, TState state)
        where TTask : LocalTask
    {
        ThrowIfStopped();
        TaskQueue? previous = t_spawnTarget;
        t_spawnTarget = queue;
        try
        {
            return body(state);
        }
        finally
        {
            t_spawnTarget = previous;
        }
    }

    /// <summary>What a body that returned no task starts: a task failing the way a spawned body returning a null
    /// <see cref="System.Threading.Tasks.Task"/> fails, rather than a null the caller would trip over later.</summary>
    private LocalTask<T> NullBodyTask<T>(TaskQueue queue) =>
        Schedule(new DelegateTask<TaskQueue, T>(queue, static _ => throw ThrowHelper.NullBodyTask(), queue));
}
