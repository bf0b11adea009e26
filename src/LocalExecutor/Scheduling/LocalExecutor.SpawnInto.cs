using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Spawning into a chosen task queue. The handle is checked at the edge: another executor's queue is an
// ArgumentException, a removed one an InvalidOperationException; the work never runs in some other queue instead.
// Unlike a spawn into the running queue, a spawn into another queue never starts inline (as Glommio's
// spawn_local_into): it is queued and runs when the scheduler picks that queue. The body shapes are those of the
// queue-less spawns (LocalExecutor.Spawn.cs, LocalExecutor.Start.cs), each with its own overload.
public sealed partial class LocalExecutor
{
    /// <summary>Runs <paramref name="work"/> in the task queue <paramref name="queue"/>. See <see cref="Spawn{T}(Func{T})"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue, created on this executor.</param>
    /// <param name="work">The work.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask<T> Spawn<T>(TaskQueueHandle queue, Func<T> work)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(work);
        return SpawnWork(target, work);
    }

    /// <summary>Runs <paramref name="work"/> with <paramref name="state"/> in the task queue <paramref name="queue"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="work">The work.</param>
    /// <param name="state">The argument of the work.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask<T> Spawn<TState, T>(TaskQueueHandle queue, Func<TState, T> work, TState state)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(work);
        return ScheduleSpawn(new DelegateTask<TState, T>(target, work, state));
    }

    /// <summary>Runs <paramref name="work"/> in the task queue <paramref name="queue"/>.</summary>
    /// <param name="queue">The task queue.</param>
    /// <param name="work">The work.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask Spawn(TaskQueueHandle queue, Action work)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(work);
        return SpawnAction(target, work);
    }

    /// <summary>Calls the async <paramref name="body"/> in the task queue <paramref name="queue"/>: it and every
    /// continuation of its awaits run there.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The async body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task<T>, ValueTask<T> and LocalTask<T> alike: it means this one
    public LocalTask<T> Spawn<T>(TaskQueueHandle queue, Func<Task<T>> body)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(target, static f => f(), body);
    }

    /// <summary>Calls the async <paramref name="body"/> in the task queue <paramref name="queue"/>.</summary>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The async body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task, ValueTask and LocalTask alike: it means this one
    public LocalTask Spawn(TaskQueueHandle queue, Func<Task> body)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(target, static f => f(), body);
    }

    /// <summary>Calls the async <paramref name="body"/> with <paramref name="state"/> in the task queue <paramref name="queue"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The async body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    [OverloadResolutionPriority(1)]
    public LocalTask<T> Spawn<TState, T>(TaskQueueHandle queue, Func<TState, Task<T>> body, TState state)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(target, body, state);
    }

    /// <summary>Calls the async <paramref name="body"/> with <paramref name="state"/> in the task queue <paramref name="queue"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The async body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    [OverloadResolutionPriority(1)]
    public LocalTask Spawn<TState>(TaskQueueHandle queue, Func<TState, Task> body, TState state)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnTaskBody(target, body, state);
    }

    /// <summary>Calls <paramref name="body"/> in the task queue <paramref name="queue"/> and completes with the
    /// <see cref="ValueTask{TResult}"/> it returns.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask<T> Spawn<T>(TaskQueueHandle queue, Func<ValueTask<T>> body)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(target, static f => f(), body);
    }

    /// <summary>Calls <paramref name="body"/> in the task queue <paramref name="queue"/> and completes with the
    /// <see cref="ValueTask"/> it returns.</summary>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask Spawn(TaskQueueHandle queue, Func<ValueTask> body)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(target, static f => f(), body);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> in the task queue <paramref name="queue"/>
    /// and completes with the <see cref="ValueTask{TResult}"/> it returns.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask<T> Spawn<TState, T>(TaskQueueHandle queue, Func<TState, ValueTask<T>> body, TState state)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(target, body, state);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> in the task queue <paramref name="queue"/>
    /// and completes with the <see cref="ValueTask"/> it returns.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">The body.</param>
    /// <param name="state">The argument of the body.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask Spawn<TState>(TaskQueueHandle queue, Func<TState, ValueTask> body, TState state)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return SpawnValueTaskBody(target, body, state);
    }

    /// <summary>Calls <paramref name="body"/>, a method returning <see cref="LocalTask{T}"/>, so that it starts in the
    /// task queue <paramref name="queue"/>: it and every continuation of its awaits run there. See
    /// <see cref="Start{T}(Func{LocalTask{T}})"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask<T> Start<T>(TaskQueueHandle queue, Func<LocalTask<T>> body)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(target, static f => f(), body);
    }

    /// <summary>Calls <paramref name="body"/>, a method returning <see cref="LocalTask"/> (or an async lambda), so that
    /// it starts in the task queue <paramref name="queue"/>. See <see cref="Start{T}(TaskQueueHandle, Func{LocalTask{T}})"/>.</summary>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask Start(TaskQueueHandle queue, Func<LocalTask> body)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(target, static f => f(), body);
    }

    /// <summary>Starts a method returning <see cref="LocalTask{T}"/> in the task queue <paramref name="queue"/>; the same as
    /// <see cref="Start{T}(TaskQueueHandle, Func{LocalTask{T}})"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask<T> Spawn<T>(TaskQueueHandle queue, Func<LocalTask<T>> body) => Start(queue, body);

    /// <summary>Starts a method returning <see cref="LocalTask"/> in the task queue <paramref name="queue"/>; the same as
    /// <see cref="Start(TaskQueueHandle, Func{LocalTask})"/>.</summary>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask Spawn(TaskQueueHandle queue, Func<LocalTask> body) => Start(queue, body);

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> so that the method it calls starts in the task
    /// queue <paramref name="queue"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <param name="state">The argument of the body.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask<T> Spawn<TState, T>(TaskQueueHandle queue, Func<TState, LocalTask<T>> body, TState state)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(target, body, state);
    }

    /// <summary>Calls <paramref name="body"/> with <paramref name="state"/> so that the method it calls starts in the task
    /// queue <paramref name="queue"/>.</summary>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <param name="queue">The task queue.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <param name="state">The argument of the body.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public LocalTask Spawn<TState>(TaskQueueHandle queue, Func<TState, LocalTask> body, TState state)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(body);
        return StartLocalTaskBody(target, body, state);
    }

    /// <summary>Queues <paramref name="callback"/> to run in the task queue <paramref name="queue"/>, fire and forget.</summary>
    /// <param name="queue">The task queue.</param>
    /// <param name="callback">The callback.</param>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="queue"/> was removed.</exception>
    public void Post(TaskQueueHandle queue, Action callback)
    {
        TaskQueue target = ResolveQueue(queue);
        ArgumentNullException.ThrowIfNull(callback);
        Post(target, WorkKind.Action, callback, null, CaptureFlow(), rejectWhenStopped: true);
    }
}
