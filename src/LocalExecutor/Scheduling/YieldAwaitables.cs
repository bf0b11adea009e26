using System;
using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>The awaitable of <see cref="LocalExecutor.YieldIfNeeded"/>.</summary>
public readonly struct YieldIfNeededAwaitable
{
    /// <summary>Gets the awaiter.</summary>
    /// <returns>The awaiter.</returns>
    public YieldIfNeededAwaiter GetAwaiter() => new(YieldWaker.Instance);
}

/// <summary>The awaiter of <see cref="LocalExecutor.YieldIfNeeded"/>: completed unless preemption is due.</summary>
public readonly struct YieldIfNeededAwaiter : ICriticalNotifyCompletion, IWakerSourceAwaiter
{
    private readonly IWakerSource _waker; // the only field: see IWakerSourceAwaiter

    internal YieldIfNeededAwaiter(IWakerSource waker) => _waker = waker;

    /// <summary>True (no yield) unless <see cref="LocalExecutor.NeedsPreempt"/>.</summary>
    public bool IsCompleted => !LocalExecutor.NeedsPreempt;

    /// <summary>Ends the await.</summary>
    public void GetResult()
    {
    }

    /// <summary>Queues the continuation at the back of the current task queue, flowing the execution context.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        LocalExecutor.PostYieldContinuation(continuation, flowExecutionContext: true);
    }

    /// <summary>Queues the continuation at the back of the current task queue.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        LocalExecutor.PostYieldContinuation(continuation, flowExecutionContext: false);
    }
}

/// <summary>The awaitable of <see cref="LocalExecutor.Yield"/>.</summary>
public readonly struct LocalYieldAwaitable
{
    /// <summary>Gets the awaiter.</summary>
    /// <returns>The awaiter.</returns>
    public LocalYieldAwaiter GetAwaiter() => new(YieldWaker.Instance);
}

/// <summary>The awaiter of <see cref="LocalExecutor.Yield"/>: never completed, so the await always yields.</summary>
public readonly struct LocalYieldAwaiter : ICriticalNotifyCompletion, IWakerSourceAwaiter
{
    private readonly IWakerSource _waker; // the only field: see IWakerSourceAwaiter

    internal LocalYieldAwaiter(IWakerSource waker) => _waker = waker;

    /// <summary>Always false: the await yields.</summary>
    public bool IsCompleted => false;

    /// <summary>Ends the await.</summary>
    public void GetResult()
    {
    }

    /// <summary>Queues the continuation at the back of the current task queue, flowing the execution context.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        LocalExecutor.PostYieldContinuation(continuation, flowExecutionContext: true);
    }

    /// <summary>Queues the continuation at the back of the current task queue.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        LocalExecutor.PostYieldContinuation(continuation, flowExecutionContext: false);
    }
}

/// <summary>The waker source of the yield awaitables: a raw task awaiting them wakes itself while running, so the run
/// loop puts it at the back of its queue after the poll (no delegate, no allocation).</summary>
internal sealed class YieldWaker : IWakerSource
{
    public static readonly YieldWaker Instance = new();

    public void RegisterWaker(LocalTask waiter) => waiter.YieldNow();
}
