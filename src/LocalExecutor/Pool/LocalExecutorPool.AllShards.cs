using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Running one body on every shard. Each body shape has its own overload, so an async body is awaited on its shard
// (never returned as the shard's "value"), and a body without a value gets a result without one.
public sealed partial class LocalExecutorPool
{
    /// <summary>
    /// Calls <paramref name="body"/> with each shard's index on that shard's executor, all shards at once, and completes
    /// when every shard finished. A shard whose body throws (or is cancelled) shows up as that shard's
    /// <see cref="ShardResult{T}.Exception"/>; the other shards still run to the end. Results are in shard order.
    /// </summary>
    /// <typeparam name="T">The type of each shard's value.</typeparam>
    /// <param name="body">The body; it runs on the shard's thread, and its awaits resume there.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task<T>, ValueTask<T> and LocalTask<T> alike: it means this one
    public Task<ShardResult<T>[]> RunOnAllShards<T>(Func<int, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherAsync(body, static (executor, body, shard) => executor.Spawn(static s => s.Body(s.Shard), (Body: body, Shard: shard)));
    }

    /// <summary>Runs the synchronous <paramref name="body"/> on every shard; see <see cref="RunOnAllShards{T}(Func{int, Task{T}})"/>.</summary>
    /// <typeparam name="T">The type of each shard's value.</typeparam>
    /// <param name="body">The body.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public Task<ShardResult<T>[]> RunOnAllShards<T>(Func<int, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherAsync(body, static (executor, body, shard) => executor.Spawn(static s => s.Body(s.Shard), (Body: body, Shard: shard)));
    }

    /// <summary>Runs <paramref name="body"/>, which returns a <see cref="ValueTask{TResult}"/>, on every shard; see
    /// <see cref="RunOnAllShards{T}(Func{int, Task{T}})"/>.</summary>
    /// <typeparam name="T">The type of each shard's value.</typeparam>
    /// <param name="body">The body.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public Task<ShardResult<T>[]> RunOnAllShards<T>(Func<int, ValueTask<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherAsync(body, static (executor, body, shard) => executor.Spawn(static s => s.Body(s.Shard), (Body: body, Shard: shard)));
    }

    /// <summary>Starts <paramref name="body"/>, a method returning <see cref="LocalTask{T}"/>, on every shard (see
    /// <see cref="LocalExecutor.Start{T}(Func{LocalTask{T}})"/>); see <see cref="RunOnAllShards{T}(Func{int, Task{T}})"/>.</summary>
    /// <typeparam name="T">The type of each shard's value.</typeparam>
    /// <param name="body">A call of a method returning <see cref="LocalTask{T}"/>.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public Task<ShardResult<T>[]> RunOnAllShards<T>(Func<int, LocalTask<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherAsync(body, static (executor, body, shard) => executor.Spawn(static s => s.Body(s.Shard), (Body: body, Shard: shard)));
    }

    /// <summary>Calls the async <paramref name="body"/> on every shard and completes when every shard finished; a shard
    /// that failed shows up as its <see cref="ShardResult.Exception"/>. See <see cref="RunOnAllShards{T}(Func{int, Task{T}})"/>.</summary>
    /// <param name="body">The async body.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    [OverloadResolutionPriority(1)] // an async lambda converts to Task, ValueTask, LocalTask and Action<int> alike: it means this one
    public Task<ShardResult[]> RunOnAllShards(Func<int, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherVoidAsync(body, static (executor, body, shard) => executor.Spawn(static s => s.Body(s.Shard), (Body: body, Shard: shard)));
    }

    /// <summary>Runs the synchronous <paramref name="body"/> on every shard; see <see cref="RunOnAllShards(Func{int, Task})"/>.</summary>
    /// <param name="body">The body.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public Task<ShardResult[]> RunOnAllShards(Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherVoidAsync(body, static (executor, body, shard) => executor.Spawn(static s =>
        {
            s.Body(s.Shard);
            return true;
        }, (Body: body, Shard: shard)));
    }

    /// <summary>Runs <paramref name="body"/>, which returns a <see cref="ValueTask"/>, on every shard; see
    /// <see cref="RunOnAllShards(Func{int, Task})"/>.</summary>
    /// <param name="body">The body.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public Task<ShardResult[]> RunOnAllShards(Func<int, ValueTask> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherVoidAsync(body, static (executor, body, shard) => executor.Spawn(static s => s.Body(s.Shard), (Body: body, Shard: shard)));
    }

    /// <summary>Starts <paramref name="body"/>, a method returning <see cref="LocalTask"/>, on every shard; see
    /// <see cref="RunOnAllShards(Func{int, Task})"/>.</summary>
    /// <param name="body">A call of a method returning <see cref="LocalTask"/>.</param>
    /// <returns>One result per shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public Task<ShardResult[]> RunOnAllShards(Func<int, LocalTask> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return GatherVoidAsync(body, static (executor, body, shard) => executor.Spawn(static s => s.Body(s.Shard), (Body: body, Shard: shard)));
    }

    /// <summary>Spawns one task per shard, then waits for each; a shard that refused the spawn (stopped) or whose task
    /// failed gets its exception as its result.</summary>
    private async Task<ShardResult<T>[]> GatherAsync<TBody, T>(TBody body, Func<LocalExecutor, TBody, int, LocalTask<T>> spawn)
    {
        var running = new LocalTask<T>?[_executors.Length];
        var results = new ShardResult<T>[_executors.Length];
        for (int shard = 0; shard < _executors.Length; shard++)
        {
            try
            {
                running[shard] = spawn(_executors[shard], body, shard);
            }
            catch (Exception exception)
            {
                // A shard that stopped (a disposed pool, or a shard stopped by its unhandled-exception policy).
                results[shard] = new ShardResult<T>(shard, exception);
            }
        }

        for (int shard = 0; shard < _executors.Length; shard++)
        {
            if (running[shard] is not LocalTask<T> task)
            {
                continue;
            }

            try
            {
                results[shard] = new ShardResult<T>(shard, await task);
            }
            catch (Exception exception)
            {
                results[shard] = new ShardResult<T>(shard, exception);
            }
        }

        return results;
    }

    /// <summary><see cref="GatherAsync{TBody, T}"/> for bodies without a value.</summary>
    private async Task<ShardResult[]> GatherVoidAsync<TBody>(TBody body, Func<LocalExecutor, TBody, int, LocalTask> spawn)
    {
        var running = new LocalTask?[_executors.Length];
        var results = new ShardResult[_executors.Length];
        for (int shard = 0; shard < _executors.Length; shard++)
        {
            try
            {
                running[shard] = spawn(_executors[shard], body, shard);
            }
            catch (Exception exception)
            {
                results[shard] = new ShardResult(shard, exception);
            }
        }

        for (int shard = 0; shard < _executors.Length; shard++)
        {
            if (running[shard] is not LocalTask task)
            {
                continue;
            }

            try
            {
                await task;
                results[shard] = new ShardResult(shard, null);
            }
            catch (Exception exception)
            {
                results[shard] = new ShardResult(shard, exception);
            }
        }

        return results;
    }
}
