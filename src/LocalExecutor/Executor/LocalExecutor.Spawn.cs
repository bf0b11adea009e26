using System;
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
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work; its exception travels to the awaiter.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Schedule(new DelegateTask<Func<T>, T>(_defaultQueue, static f => f(), work));
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
        return Schedule(new DelegateTask<TState, T>(_defaultQueue, work, state));
    }

    /// <summary>Runs <paramref name="work"/> on this executor. See <see cref="Spawn{T}(Func{T})"/>.</summary>
    /// <param name="work">The work.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Spawn(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Schedule(new DelegateTask<Action, VoidResult>(_defaultQueue, static a => { a(); return default; }, work));
    }

    /// <summary>
    /// Calls the async <paramref name="body"/> on this executor (so it runs there, with its continuations) and
    /// completes with the task it returns.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The async body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<T>(Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Schedule(new TaskBodyTask<Func<Task<T>>, T>(_defaultQueue, static f => f(), body, static t => ((Task<T>)t).GetAwaiter().GetResult()));
    }

    /// <summary>Calls the async <paramref name="body"/> on this executor. See <see cref="Spawn{T}(Func{Task{T}})"/>.</summary>
    /// <param name="body">The async body.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Spawn(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Schedule(new TaskBodyTask<Func<Task>, VoidResult>(_defaultQueue, static f => f(), body, static t =>
        {
            t.GetAwaiter().GetResult();
            return default;
        }));
    }

    /// <summary>
    /// Calls <paramref name="body"/>, a method returning <see cref="LocalTask{T}"/>, so that it starts on this executor
    /// (wherever the caller is, another executor included). The method's task is itself the raw task: nothing more is
    /// allocated. Named apart from <c>Spawn</c> because an async lambda converts to both task types.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>; code before the call runs on the
    /// calling thread.</param>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Start<T>(Func<LocalTask<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ThrowIfStopped();
        TaskQueue? previous = t_spawnTarget;
        t_spawnTarget = _defaultQueue;
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
        Post(_defaultQueue, WorkKind.Action, callback, null, context == LoopContext ? null : context, rejectWhenStopped: true);
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
