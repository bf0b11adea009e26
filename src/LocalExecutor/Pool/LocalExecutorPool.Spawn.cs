using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Spawning by key: the executor that owns the key runs the work, with one overload per body shape (as the executor's
// own Spawn has), so a lambda returning an awaitable is awaited on the shard instead of coming back unawaited.
public sealed partial class LocalExecutorPool
{
    /// <summary>Runs <paramref name="work"/> on the executor that owns <paramref name="key"/> and returns a task to await
    /// from anywhere (see <see cref="LocalExecutor.Spawn{T}(Func{T})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="work">The work.</param>
    /// <returns>The task of the work.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask<T> SpawnOn<TKey, T>(TKey key, Func<T> work) => ExecutorFor(key).Spawn(work);

    /// <summary>Runs <paramref name="work"/> on the executor that owns <paramref name="key"/> (see
    /// <see cref="LocalExecutor.Spawn(Action)"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="work">The work.</param>
    /// <returns>The task of the work.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask SpawnOn<TKey>(TKey key, Action work) => ExecutorFor(key).Spawn(work);

    /// <summary>Calls the async <paramref name="body"/> on the executor that owns <paramref name="key"/> (see
    /// <see cref="LocalExecutor.Spawn{T}(Func{Task{T}})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">The async body.</param>
    /// <returns>The task of the body.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task<T>, ValueTask<T> and LocalTask<T> alike: it means this one
    public LocalTask<T> SpawnOn<TKey, T>(TKey key, Func<Task<T>> body) => ExecutorFor(key).Spawn(body);

    /// <summary>Calls the async <paramref name="body"/> on the executor that owns <paramref name="key"/> (see
    /// <see cref="LocalExecutor.Spawn(Func{Task})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">The async body.</param>
    /// <returns>The task of the body.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task, ValueTask and LocalTask alike: it means this one
    public LocalTask SpawnOn<TKey>(TKey key, Func<Task> body) => ExecutorFor(key).Spawn(body);

    /// <summary>Calls <paramref name="body"/> on the executor that owns <paramref name="key"/> and completes with the
    /// <see cref="ValueTask{TResult}"/> it returns (see <see cref="LocalExecutor.Spawn{T}(Func{ValueTask{T}})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">The body.</param>
    /// <returns>The task of the body.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask<T> SpawnOn<TKey, T>(TKey key, Func<ValueTask<T>> body) => ExecutorFor(key).Spawn(body);

    /// <summary>Calls <paramref name="body"/> on the executor that owns <paramref name="key"/> and completes with the
    /// <see cref="ValueTask"/> it returns (see <see cref="LocalExecutor.Spawn(Func{ValueTask})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">The body.</param>
    /// <returns>The task of the body.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask SpawnOn<TKey>(TKey key, Func<ValueTask> body) => ExecutorFor(key).Spawn(body);

    /// <summary>Starts a method returning <see cref="LocalTask{T}"/> on the executor that owns <paramref name="key"/>
    /// (see <see cref="LocalExecutor.Start{T}(Func{LocalTask{T}})"/>); the same as
    /// <see cref="StartOn{TKey, T}(TKey, Func{LocalTask{T}})"/>.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask<T> SpawnOn<TKey, T>(TKey key, Func<LocalTask<T>> body) => ExecutorFor(key).Start(body);

    /// <summary>Starts a method returning <see cref="LocalTask"/> on the executor that owns <paramref name="key"/> (see
    /// <see cref="LocalExecutor.Start(Func{LocalTask})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask SpawnOn<TKey>(TKey key, Func<LocalTask> body) => ExecutorFor(key).Start(body);

    /// <summary>Starts a method returning <see cref="LocalTask{T}"/>, or an async lambda read as one, on the executor
    /// that owns <paramref name="key"/> (see <see cref="LocalExecutor.Start{T}(Func{LocalTask{T}})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask<T> StartOn<TKey, T>(TKey key, Func<LocalTask<T>> body) => ExecutorFor(key).Start(body);

    /// <summary>Starts a method returning <see cref="LocalTask"/>, or an async lambda read as one, on the executor that
    /// owns <paramref name="key"/> (see <see cref="LocalExecutor.Start(Func{LocalTask})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key, hashed as by <see cref="ShardFor{TKey}(TKey)"/>.</param>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <returns>The method's task.</returns>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public LocalTask StartOn<TKey>(TKey key, Func<LocalTask> body) => ExecutorFor(key).Start(body);
}
