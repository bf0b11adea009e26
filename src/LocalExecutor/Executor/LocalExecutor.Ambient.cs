using System;
using System.Threading;

namespace ThreadPerCore;

// Which executor an async method returning LocalTask (or decorated with PinnedTaskMethodBuilder) runs on. The
// builder attribute cannot carry arguments, so the target comes from the context of the call.
public sealed partial class LocalExecutor
{
    private static readonly AsyncLocal<LocalExecutor?> s_scoped = new();
    private static LocalExecutor? s_default;

    [ThreadStatic]
    private static TaskQueue? t_spawnTarget;

    /// <summary>
    /// The executor that methods returning <see cref="LocalTask{T}"/> run on when called from a thread that is not an
    /// executor thread and no <see cref="EnterScope"/> is active. Set it at startup; <see cref="Run{T}(Func{System.Threading.Tasks.Task{T}}, LocalExecutorOptions?)"/>
    /// sets it for the duration of the run when it is unset.
    /// </summary>
    public static LocalExecutor? Default
    {
        get => Volatile.Read(ref s_default);
        set => Volatile.Write(ref s_default, value);
    }

    /// <summary>
    /// Makes this executor the target of methods returning <see cref="LocalTask{T}"/> called from the current async
    /// flow (it flows like an <see cref="AsyncLocal{T}"/>) until the returned scope is disposed. Executor threads ignore
    /// it: there, such methods always run on the executor of the thread.
    /// </summary>
    /// <returns>A scope that restores the previous target when disposed.</returns>
    public Scope EnterScope()
    {
        LocalExecutor? previous = s_scoped.Value;
        s_scoped.Value = this;
        return new Scope(previous);
    }

    /// <summary>
    /// The queue a new async body starts in: the spawn in progress; else the queue running on this thread; else the
    /// scoped executor; else <see cref="Default"/>.
    /// </summary>
    internal static TaskQueue ResolveTargetQueue()
    {
        TaskQueue? queue = t_spawnTarget ?? t_currentQueue ?? t_current?._defaultQueue;
        if (queue is not null)
        {
            return queue;
        }

        LocalExecutor? executor = s_scoped.Value ?? Default;
        if (executor is null)
        {
            ThrowHelper.ThrowNoExecutor();
        }

        executor.ThrowIfStopped();
        return executor._defaultQueue;
    }

    /// <summary>Restores the previous scoped executor when disposed. See <see cref="EnterScope"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly LocalExecutor? _previous;

        internal Scope(LocalExecutor? previous) => _previous = previous;

        /// <summary>Restores the previous scoped executor.</summary>
        public void Dispose() => s_scoped.Value = _previous;
    }
}
