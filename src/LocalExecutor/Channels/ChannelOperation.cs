using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

/// <summary>
/// The reusable part of a channel's awaitable operation: who waits (a raw task's waker, or an await continuation with
/// the place it must resume) and how to wake it. One instance serves wait after wait (its <see cref="Version"/> tells
/// them apart, as with <see cref="ManualResetValueTaskSourceCore{TResult}"/>), so a waiting send or receive allocates
/// nothing once the channel exists.
/// </summary>
/// <remarks>
/// <para>Waking never runs the waiter on the waking thread: a raw task is woken through its own executor (a wake by
/// reference on its thread, its inbox from any other), an await continuation is posted to the run queue, context or
/// scheduler it captured, or queued to the thread pool when it captured none. So a producer core never runs the
/// consumer's code, and a parked consumer core is woken by its executor's inbox and parker, never by spinning.</para>
/// <para>An <c>async LocalTask</c> method awaits our <see cref="System.Threading.Tasks.ValueTask"/> through
/// <see cref="System.Runtime.CompilerServices.ValueTaskAwaiter{TResult}"/>, which hands over the method's cached wake
/// delegate; it is recognised and the task is woken directly (one hop, no allocation), exactly as
/// <see cref="IWakerSource.RegisterWaker"/> does for awaiters that expose the operation.</para>
/// </remarks>
internal abstract class ChannelOperation : IWakerSource, IThreadPoolWorkItem
{
    private LocalTask? _waker;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private object? _target; // TaskQueue, SynchronizationContext, TaskScheduler, or null for the thread pool
    private ExecutionContext? _executionContext;
    private CancellationTokenRegistration _registration;
    private int _signaledVersion = -1;

    /// <summary>Tells this wait from earlier and later ones on the same instance.</summary>
    public short Version { get; private set; }

    /// <summary>True from <see cref="Begin"/> until the waiter took the result.</summary>
    public bool IsPending { get; private set; }

    /// <summary>The token of the current wait.</summary>
    protected CancellationToken CancellationToken { get; private set; }

    /// <summary>
    /// True when the wait belongs to a raw task that finished without taking the result: it was cancelled (or its
    /// executor stopped) while it waited, like a Rust future dropped mid-await. The channel reclaims such a wait
    /// (<see cref="ReleaseAbandoned"/>) instead of staying blocked by it or handing it an item.
    /// </summary>
    internal bool IsAbandoned => _waker is { IsCompleted: true };

    /// <summary>True when the current wait wakes a raw task directly (the builder's waker), not an await continuation.</summary>
    internal bool IsWakerRegistered => _waker is not null;

    /// <summary>True once a continuation or waker is registered for the current wait.</summary>
    protected bool HasWaiter => _waker is not null || _continuation is not null;

    /// <summary>Starts a wait.</summary>
    public void Begin(CancellationToken cancellationToken)
    {
        Debug.Assert(!IsPending, "one wait at a time per operation");
        IsPending = true;
        CancellationToken = cancellationToken;
    }

    /// <summary>Registers an await continuation (the <see cref="IValueTaskSource"/> door).</summary>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ValidateToken(token);
        if (HasWaiter)
        {
            ThrowAwaitedTwice();
        }

        if (state is Action action && LocalTask.OwnerOfWakeAction(action) is { } waiter)
        {
            // The method builder's waker, handed over by ValueTaskAwaiter: wake the task itself, one hop.
            _waker = waiter;
        }
        else
        {
            _continuation = continuation;
            _continuationState = state;
            if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
            {
                _executionContext = ExecutionContext.Capture();
            }

            _target = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 ? Continuation.CaptureTarget() : null;
        }

        Arm();
    }

    /// <summary>Registers a raw task's waker directly (the builder door).</summary>
    void IWakerSource.RegisterWaker(LocalTask waiter)
    {
        if (HasWaiter)
        {
            ThrowAwaitedTwice();
        }

        _waker = waiter;
        Arm();
    }

    /// <summary>Publishes the waiter to the channel (or finds the wait already over and calls <see cref="Signal"/>).</summary>
    protected abstract void Arm();

    /// <summary>Called when the token is cancelled, on the cancelling thread.</summary>
    protected abstract void OnCancellationRequested();

    /// <summary>Subscribes <see cref="OnCancellationRequested"/> to the wait's token; may call it at once.</summary>
    protected void RegisterCancellation()
    {
        if (CancellationToken.CanBeCanceled)
        {
            _registration = CancellationToken.UnsafeRegister(static self => ((ChannelOperation)self!).OnCancellationRequested(), this);
        }
    }

    /// <summary>Wakes the waiter where it waits. Called exactly once per armed wait, from any thread.</summary>
    public void Signal()
    {
        short version = Version;
        LocalTask? waker = _waker;
        if (waker is not null)
        {
            waker.Wake();
            Volatile.Write(ref _signaledVersion, version); // see ReleaseAbandoned
            return;
        }

        switch (_target)
        {
            case null:
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                break;
            case TaskQueue queue:
                queue.Executor.Post(queue, WorkKind.StateAction, _continuation!, _continuationState, _executionContext);
                break;
            case SynchronizationContext context:
#pragma warning disable VSTHRD001 // resuming on the awaiter's own context is the job here
                context.Post(static self => ((ChannelOperation)self!).InvokeContinuation(), this);
#pragma warning restore VSTHRD001
                break;
            case TaskScheduler scheduler:
                _ = Task.Factory.StartNew(static self => ((ChannelOperation)self!).InvokeContinuation(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                break;
        }
    }

    void IThreadPoolWorkItem.Execute() => InvokeContinuation();

    /// <summary>
    /// Ends an abandoned wait (see <see cref="IsAbandoned"/>) so the instance can serve the next one. When the channel
    /// could not withdraw the wait itself, its waker was already taken by a signaller (a send, a close): wait until that
    /// signal is out, a few instructions, so it cannot land on the next wait.
    /// </summary>
    internal void ReleaseAbandoned(bool signalInFlight)
    {
        if (signalInFlight)
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _signaledVersion) != Version)
            {
                spinner.SpinOnce();
            }
        }

        Release();
    }

    /// <summary>Ends the wait: the instance may serve the next one. Called by the waiter when it takes the result.</summary>
    protected void Release()
    {
        // Waits for a cancellation callback that is running right now, so none can touch the next wait.
        _registration.Dispose();
        _registration = default;
        CancellationToken = default;
        _waker = null;
        _continuation = null;
        _continuationState = null;
        _target = null;
        _executionContext = null;
        Version++;
        IsPending = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected void ValidateToken(short token)
    {
        if (token != Version || !IsPending)
        {
            ThrowStaleToken();
        }
    }

    private void InvokeContinuation()
    {
        ExecutionContext? context = _executionContext;
        if (context is null)
        {
            _continuation!(_continuationState);
        }
        else
        {
            ExecutionContext.Run(context, static self =>
            {
                var operation = (ChannelOperation)self!;
                operation._continuation!(operation._continuationState);
            }, this);
        }
    }

    private static void ThrowAwaitedTwice() =>
        throw new InvalidOperationException("This channel operation is already being awaited; a ValueTask may be awaited only once.");

    private static void ThrowStaleToken() =>
        throw new InvalidOperationException("This ValueTask of a channel operation was already consumed; a ValueTask may be awaited only once.");
}
