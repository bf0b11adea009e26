using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

/// <summary>
/// The reusable part of a channel's awaitable operation: who waits (a raw task's waker, or an await continuation with
/// the place it must resume) and how to wake it. One instance serves wait after wait (its <see cref="Version"/> tells
/// them apart, as with <see cref="ManualResetValueTaskSourceCore{TResult}"/>), so a waiting send or receive allocates
/// nothing once the channel exists. The protocol between the waiter, its signallers and its canceller is
/// <see cref="WaitState{TWaiter}"/>; this class registers the waiter and the token and does the waking.
/// </summary>
/// <remarks>
/// <para>Waking never runs the waiter on the waking thread: a raw task is woken through its own executor (a wake by
/// reference on its thread, its inbox from any other), an await continuation is posted to the run queue, context or
/// scheduler it captured, or queued to the thread pool when it captured none. So a producer core never runs the
/// consumer's code, and a parked consumer core is woken by its executor's inbox and parker, never by spinning.</para>
/// <para>An <c>async LocalTask</c> method awaits our <see cref="System.Threading.Tasks.ValueTask"/> through
/// <see cref="System.Runtime.CompilerServices.ValueTaskAwaiter{TResult}"/>, which hands over the method's cached wake
/// delegate; it is recognised and the task is woken directly (one hop, no allocation), as
/// <see cref="IWakerSource.RegisterWaker"/> does for the awaiters of raw tasks. No awaiter exposes the operation itself,
/// so that wake delegate is its only door for a raw task.</para>
/// </remarks>
internal abstract class ChannelOperation : IThreadPoolWorkItem, IChannelSignal
{
    private WaitState<Waiter> _wait;
    private CancellationTokenRegistration _registration;

    /// <summary>Tells this wait from earlier and later ones on the same instance.</summary>
    public short Version => _wait.Version;

    /// <summary>True from <see cref="Begin"/> until the waiter took the result (or the wait was reclaimed).</summary>
    public bool IsPending { get; private set; }

    /// <summary>The token of the current wait.</summary>
    protected CancellationToken CancellationToken { get; private set; }

    /// <summary>
    /// True when the wait belongs to a raw task that finished without taking the result: it was cancelled (or its
    /// executor stopped) while it waited, like a Rust future dropped mid-await. The channel reclaims such a wait
    /// (<see cref="ReleaseAbandoned"/>) instead of staying blocked by it or handing it an item.
    /// </summary>
    internal bool IsAbandoned => _wait.Waiter.Waker is { IsCompleted: true };

    /// <summary>True when the current wait wakes a raw task directly (the builder's waker), not an await continuation.</summary>
    internal bool IsWakerRegistered => _wait.Waiter.Waker is not null;

    /// <summary>The raw task the current wait wakes directly, if it was registered through its method builder's wake delegate.</summary>
    protected LocalTask? RegisteredWaker => _wait.Waiter.Waker;

    /// <summary>True once a continuation or waker is registered for the current wait.</summary>
    protected bool HasWaiter => _wait.Waiter.Waker is not null || _wait.Waiter.Continuation is not null;

    /// <summary>True once the current wait was signalled: its outcome is ready.</summary>
    protected bool IsSignalled => _wait.IsSignalled;

    /// <summary>True when the current wait was ended by its token.</summary>
    protected bool IsCanceled => _wait.IsCanceled;

    /// <summary>Starts a wait.</summary>
    public void Begin(CancellationToken cancellationToken)
    {
        System.Diagnostics.Debug.Assert(!IsPending, "one wait at a time per operation");
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

        ref Waiter waiter = ref _wait.Waiter;
        if (state is Action action && LocalTask.OwnerOfWakeAction(action) is { } task)
        {
            // The method builder's waker, handed over by ValueTaskAwaiter: wake the task itself, one hop.
            waiter.Waker = task;
        }
        else
        {
            waiter.Continuation = continuation;
            waiter.State = state;
            if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
            {
                waiter.Context = ExecutionContext.Capture();
            }

            waiter.Target = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 ? Continuation.CaptureTarget() : null;
        }

        Arm();
    }

    /// <summary>Arms the wait once its waiter is registered; implementations call <see cref="ArmWith"/> (or
    /// <see cref="ArmOnOwnerThread"/>).</summary>
    protected abstract void Arm();

    /// <summary>Called when the token is cancelled, on the cancelling thread; implementations call
    /// <see cref="CancelWith"/> (or hand the cancel to where their waits live).</summary>
    protected abstract void OnCancellationRequested();

    /// <summary>Subscribes to the wait's token, then announces the wait at <paramref name="flag"/>; wakes the waiter
    /// at once if there is nothing to wait for, its signal came first, or its token fired first.</summary>
    protected void ArmWith<TFlag>(TFlag flag)
        where TFlag : struct, IWaitFlag
    {
        RegisterCancellation(); // may run the callback at once, on this thread: it then leaves the withdrawal to Arm
        if (_wait.Arm(flag, out Waiter waiter))
        {
            Wake(in waiter);
        }
    }

    /// <summary><see cref="ArmWith"/> for a wait that lives on one thread (<see cref="LocalChannel{T}"/>): no flag,
    /// no atomic instruction; its cancel is handed to that thread by <see cref="OnCancellationRequested"/>.</summary>
    protected void ArmOnOwnerThread()
    {
        RegisterCancellation(); // may cancel at once, on this thread
        if (_wait.ArmOnOwnerThread(out Waiter waiter))
        {
            Wake(in waiter);
        }
    }

    /// <summary>The token's callback: withdraws the wait from <paramref name="flag"/> and, if that succeeds, ends it
    /// as cancelled and wakes the waiter.</summary>
    protected void CancelWith<TFlag>(TFlag flag)
        where TFlag : struct, IWaitFlag
    {
        if (_wait.Cancel(flag, out Waiter waiter))
        {
            Wake(in waiter);
        }
    }

    /// <summary>Ends the wait and wakes the waiter where it waits (or lets it wake itself when it arms). Called once
    /// per wait by whoever took its flag, from any thread.</summary>
    public void Signal()
    {
        if (_wait.Signal(out Waiter waiter))
        {
            Wake(in waiter);
        }
    }

    /// <summary><see cref="Signal"/> for a wait that lives on one thread, called on that thread.</summary>
    protected void SignalOnOwnerThread()
    {
        if (_wait.SignalOnOwnerThread(out Waiter waiter))
        {
            Wake(in waiter);
        }
    }

    void IThreadPoolWorkItem.Execute() => InvokeContinuation();

    /// <summary>
    /// Ends an abandoned wait (see <see cref="IsAbandoned"/>) so the instance can serve the next one. Never waits: if
    /// the channel could not withdraw the wait itself, a signaller took it and its signal may still be on its way; that
    /// signal is then counted as owed and cannot wake the next wait (see <see cref="WaitState{TWaiter}"/>).
    /// </summary>
    /// <param name="withdrawn">True if the channel withdrew the wait's flag itself (no signal will come).</param>
    internal void ReleaseAbandoned(bool withdrawn) => EndWait(signalDue: !withdrawn);

    /// <summary>Ends the wait: the instance may serve the next one. Called by the waiter when it takes the result.</summary>
    protected void Release() => EndWait(signalDue: false);

    /// <summary><see cref="Release"/> for a wait whose outcome the waiter knew before its signal arrived: the signal,
    /// when it comes, is paid off and wakes nobody.</summary>
    protected void ReleaseBeforeSignal() => EndWait(signalDue: true);

    /// <summary><see cref="Release"/> for a wait that lives on one thread.</summary>
    protected void ReleaseOnOwnerThread()
    {
        _registration.Dispose();
        _registration = default;
        CancellationToken = default;
        _wait.ReleaseOnOwnerThread();
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

    private void RegisterCancellation()
    {
        if (CancellationToken.CanBeCanceled)
        {
            _registration = CancellationToken.UnsafeRegister(static self => ((ChannelOperation)self!).OnCancellationRequested(), this);
        }
    }

    private void EndWait(bool signalDue)
    {
        // Waits for a cancellation callback that is running right now (a few instructions, never blocking), so none can
        // touch the next wait, and a cancel never arrives late (WaitState relies on that).
        _registration.Dispose();
        _registration = default;
        CancellationToken = default;
        _wait.Release(signalDue);
        IsPending = false;
    }

    private void Wake(in Waiter waiter)
    {
        if (waiter.Waker is { } task)
        {
            task.Wake();
            return;
        }

        // The continuation reads the waiter from this instance when it runs: nothing can release the wait before that.
        switch (waiter.Target)
        {
            case null:
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                break;
            case TaskQueue queue:
                queue.Executor.Post(queue, WorkKind.StateAction, waiter.Continuation!, waiter.State, waiter.Context);
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

    private void InvokeContinuation()
    {
        ref Waiter waiter = ref _wait.Waiter;
        ExecutionContext? context = waiter.Context;
        if (context is null)
        {
            waiter.Continuation!(waiter.State);
        }
        else
        {
            ExecutionContext.Run(context, static self =>
            {
                var operation = (ChannelOperation)self!;
                operation._wait.Waiter.Continuation!(operation._wait.Waiter.State);
            }, this);
        }
    }

    private static void ThrowAwaitedTwice() =>
        throw new InvalidOperationException("This channel operation is already being awaited; a ValueTask may be awaited only once.");

    private static void ThrowStaleToken() =>
        throw new InvalidOperationException("This ValueTask of a channel operation was already consumed; a ValueTask may be awaited only once.");

    /// <summary>Who waits: a raw task's waker, or an await continuation and where it resumes.</summary>
    private struct Waiter
    {
        public LocalTask? Waker;
        public Action<object?>? Continuation;
        public object? State;
        public object? Target; // TaskQueue, SynchronizationContext, TaskScheduler, or null for the thread pool
        public ExecutionContext? Context;
    }
}
