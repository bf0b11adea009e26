using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// The app-startup entry point: run an async body on a pinned executor and return its result (the shape of
// Nito's AsyncContext.Run), usable from Main.
public sealed partial class LocalExecutor
{
    private int _outstandingOperations;
    private TaskCompletionSource? _operationsDrained;

    /// <summary>
    /// Starts an executor, runs <paramref name="body"/> on it, waits until the body's task and every
    /// <c>async void</c> method it started have finished, shuts the executor down and returns the result. The
    /// body's exception is rethrown unwrapped; an exception from an <c>async void</c> method or posted work also ends
    /// the run and is rethrown. Blocks the calling thread; from an async <c>Main</c>, use
    /// <see cref="RunAsync{T}(Func{Task{T}}, LocalExecutorOptions?)"/>.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The async body.</param>
    /// <param name="options">How to start the executor (its placement, for one).</param>
    /// <returns>The body's result.</returns>
    [SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "Blocking the caller until the run ends is the point, as with AsyncContext.Run; the body runs on another thread.")]
    public static T Run<T>(Func<Task<T>> body, LocalExecutorOptions? options = null) =>
        RunAsync(body, options).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="body"/> on a new executor; see <see cref="Run{T}(Func{Task{T}}, LocalExecutorOptions?)"/>.</summary>
    /// <param name="body">The async body.</param>
    /// <param name="options">How to start the executor.</param>
    [SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "Blocking the caller until the run ends is the point, as with AsyncContext.Run; the body runs on another thread.")]
    public static void Run(Func<Task> body, LocalExecutorOptions? options = null) =>
        RunAsync(body, options).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="body"/> on a new executor and completes with its result; see
    /// <see cref="Run{T}(Func{Task{T}}, LocalExecutorOptions?)"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The async body.</param>
    /// <param name="options">How to start the executor.</param>
    /// <returns>The body's result.</returns>
    public static async Task<T> RunAsync<T>(Func<Task<T>> body, LocalExecutorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        LocalExecutorOptions runOptions = options?.Clone() ?? new LocalExecutorOptions();
        runOptions.Name ??= "LocalExecutor.Run";
        runOptions.UnhandledExceptionPolicy = UnhandledExceptionPolicy.StopExecutor;

        var executor = new LocalExecutor(runOptions);
        bool becameDefault = Interlocked.CompareExchange(ref s_default, executor, null) is null;
        try
        {
            LocalTask<T> main = executor.Spawn(() => RunMainAsync(executor, body));
            Task<T> result = main.AsTask();
            await Task.WhenAny(result, executor.Completion).ConfigureAwait(false);
            if (executor.Completion.IsFaulted || Volatile.Read(ref executor._stopException) is not null)
            {
                // Posted work or an async void failed, which stops the executor: that failure is the run's result,
                // even when the body's task completed in the same burst of work.
                await executor.DisposeAsync().ConfigureAwait(false);
                await executor.Completion.ConfigureAwait(false);
            }

            return await result.ConfigureAwait(false);
        }
        finally
        {
            if (becameDefault)
            {
                Interlocked.CompareExchange(ref s_default, null, executor);
            }

            await executor.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="body"/> on a new executor; see <see cref="Run{T}(Func{Task{T}}, LocalExecutorOptions?)"/>.</summary>
    /// <param name="body">The async body.</param>
    /// <param name="options">How to start the executor.</param>
    /// <returns>A task that completes when the body and its <c>async void</c> methods have finished.</returns>
    public static Task RunAsync(Func<Task> body, LocalExecutorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunAsync(async () =>
        {
            await body().ConfigureAwait(true);
            return true;
        }, options);
    }

    private static async Task<T> RunMainAsync<T>(LocalExecutor executor, Func<Task<T>> body)
    {
        T result = await body().ConfigureAwait(true);
        await executor.WhenOperationsDrainedAsync().ConfigureAwait(true);
        return result;
    }

    internal void OperationStarted() => Interlocked.Increment(ref _outstandingOperations);

    internal void OperationCompleted()
    {
        if (Interlocked.Decrement(ref _outstandingOperations) == 0)
        {
            Volatile.Read(ref _operationsDrained)?.TrySetResult();
            if (_gate.IsStopRequested)
            {
                // The last async void method ended, maybe on another thread: a draining loop asleep must look again.
                // The decrement is a full fence before the parker's state is read (the parker's handshake).
                _parker.Unpark();
            }
        }
    }

    /// <summary>Completes when no <c>async void</c> method started on this executor is still running.</summary>
    private Task WhenOperationsDrainedAsync()
    {
        if (Volatile.Read(ref _outstandingOperations) == 0)
        {
            return Task.CompletedTask;
        }

        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _operationsDrained, drained);
        return Volatile.Read(ref _outstandingOperations) == 0 ? Task.CompletedTask : drained.Task;
    }
}
