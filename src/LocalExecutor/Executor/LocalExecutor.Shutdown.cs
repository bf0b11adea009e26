using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Stopping: every task that was ever queued ends (it runs, or it is cancelled); nothing is left pending.
public sealed partial class LocalExecutor
{
    /// <summary>How many passes over the queues shutdown makes before it hands what is left to the thread pool, so
    /// work that keeps re-queueing itself cannot hold the thread forever.</summary>
    internal const int ShutdownPasses = 16;

    private Exception? _stopException;

    /// <summary>What the owner thread does during shutdown, for the message of a <see cref="ShutdownTimeoutException"/>;
    /// null while it runs normally.</summary>
    private volatile string? _shutdownPhase;

    private int _resourcesReleased;

    /// <summary>
    /// Shuts the executor down with the drain deadline <see cref="LocalExecutorOptions.DrainTimeout"/> (default 5 s): see
    /// <see cref="ShutdownAsync(TimeSpan)"/>. Completes when the thread has exited. Calling it again, or concurrently, is
    /// harmless.
    /// </summary>
    /// <remarks>
    /// <para>From the moment it is called, new work from other threads is refused with
    /// <see cref="ObjectDisposedException"/> (spawns, <c>QueueTask</c>, <c>Send</c>). The work in flight runs on until it
    /// ends or the drain deadline passes; then the executor cancels its raw tasks (<see cref="LocalTask"/>s, queued or
    /// suspended: their awaiters see cancellation) in every task queue, cancels its sleeps and timeouts and drops its
    /// timers, closes its sockets, runs the callbacks and <see cref="Task"/>s already queued in every task queue, and
    /// exits. Every task ever created on it ends: one that it never saw (a spawn racing the stop, a sleep armed as it
    /// stops) ends cancelled as soon as its first wake or timer request arrives.</para>
    /// <para>A continuation that arrives later (an await that completes after the stop) is late work: it is counted
    /// (<see cref="LateWorkItems"/>), raised by <see cref="LateWork"/> and handled as
    /// <see cref="LocalExecutorOptions.LateWorkPolicy"/> says (by default it runs on the thread pool, so the awaiting
    /// method finishes instead of hanging).</para>
    /// <para>Called on the executor's own thread it only requests the stop.</para>
    /// </remarks>
    /// <exception cref="ShutdownTimeoutException">The thread did not exit within the shutdown timeout after the drain
    /// deadline: it is blocked in, or busy with, a work item that does not return (the message says what it is doing). The
    /// stop stays requested; the executor finishes stopping when its thread returns to the loop, and disposing again waits
    /// again.</exception>
    /// <exception cref="InvalidOperationException">Called on the thread of another executor that this executor's thread
    /// is blocked on (a <c>Send</c> into it): waiting would deadlock both.</exception>
    public ValueTask DisposeAsync()
    {
        RequestStopWithDrain();
        return IsOnOwnThread ? default : new ValueTask(WaitForShutdownAsync(CancellationToken.None));
    }

    /// <summary>Shuts the executor down (see <see cref="DisposeAsync"/>) and blocks until its thread exited, at most the
    /// drain deadline plus <see cref="LocalExecutorOptions.ShutdownTimeout"/>.</summary>
    /// <exception cref="ShutdownTimeoutException">The thread did not exit in time; see <see cref="DisposeAsync"/>.</exception>
    /// <exception cref="InvalidOperationException">Waiting would deadlock; see <see cref="DisposeAsync"/>.</exception>
    public void Dispose()
    {
        RequestStopWithDrain();
        if (IsOnOwnThread)
        {
            return;
        }

        using (EnterBlockingCall(this, BlockingCall.Dispose))
        {
            TimeSpan bound = ExitWaitBound();
            if (!_thread.Join(bound))
            {
                throw CreateShutdownTimeout(bound);
            }
        }

        ReleaseThreadResources();
    }

    /// <summary>True on the executor's thread, also once it has left the executor at the end of shutdown (where
    /// <see cref="IsOwnerThread"/> is false), so that a continuation run there cannot wait for its own thread.</summary>
    private bool IsOnOwnThread => Thread.CurrentThread == _thread;

    /// <summary>True once a stop was requested.</summary>
    internal bool IsStopping => _gate.IsStopRequested;

    /// <summary>True once the executor closed its gate: it has ended its work, and its thread owns no task any more.</summary>
    internal bool IsShutDown => _gate.IsClosed;

    private ShutdownTimeoutException CreateShutdownTimeout(TimeSpan waited)
    {
        // Nobody may dispose again: release the parker's resources once the thread is gone anyway. Not before: until the
        // thread exits it may still park.
        _ = _completion.Task.ContinueWith(
            static (_, self) =>
            {
                var executor = (LocalExecutor)self!;
                executor._thread.Join();
                executor.ReleaseThreadResources();
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new ShutdownTimeoutException(Name, waited, DescribeThreadActivity());
    }

    /// <summary>Disposes the parker once the thread has exited; once, whoever gets there first.</summary>
    private void ReleaseThreadResources()
    {
        if (Interlocked.Exchange(ref _resourcesReleased, 1) == 0)
        {
            _parker.Dispose();
        }
    }

    /// <summary>What the executor thread is doing, as far as the executor knows without stopping it.</summary>
    private string DescribeThreadActivity()
    {
        string state = $"thread state {_thread.ThreadState}";
        if (DescribeBlockingCall() is string blocked)
        {
            return $"{blocked} ({state})";
        }

        if (_shutdownPhase is string phase)
        {
            return $"{phase} ({state})";
        }

        if (Volatile.Read(ref _sliceDeadline) != long.MaxValue)
        {
            return $"running a work item that has not returned to the loop: code that blocks or loops without awaiting ({state})";
        }

        return _parker.IsParked ? $"parked, although its stop was requested ({state})" : $"between work items ({state})";
    }

    private void ShutdownOnOwner()
    {
        // The drain is over (the work in flight ended, or the deadline passed): what is left ends now. Foreign spawns are
        // refused, but wakes, cancels, continuations and timer requests still arrive through the inbox, and the owner
        // applies them while it ends its work.
        _shutdownPhase = "cancelling the work left after the drain, running the callbacks queued (user code that does not return)";
        CancelTimers(); // sleeps and timeouts end cancelled, callbacks of repeating timers are dropped

        // Sockets and listeners close, after the drain (the reactor served them while it lasted); their pending operations
        // fail, and the continuations waiting for them run in the passes below.
        _reactor?.CloseAll();
        _dotNetSockets.CloseAll();
        for (int pass = 0; pass < ShutdownPasses; pass++)
        {
            for (int n = _inbox.Count; n > 0 && _inbox.TryDequeue(out WorkItem item); n--)
            {
                Apply(in item);
            }

            CancelLiveTasks();
            if (!RunQueuedOnce())
            {
                break;
            }
        }

        // Close the gate: once the producers inside have left, nothing enters the inbox any more; later producers handle
        // their items late, on their own threads. Then leave the executor: from here this thread owns no task either, so
        // what it still finds, and everything that ending it triggers (the continuations of the tasks it cancels), takes
        // the late path like the work of any other thread, and the state words, which late producers may now claim too,
        // are only changed by compare-and-swap.
        _shutdownPhase = "closing its gate: waiting for the threads handing it work";
        _gate.Close();
        t_current = null;
        _shutdownPhase = "ending what was left: cancelling tasks, handing callbacks to the thread pool";

        while (_inbox.TryDequeue(out WorkItem item))
        {
            CountIfCancelledLate(in item);
            HandleLate(in item);
        }

        foreach (TaskQueue queue in _queues)
        {
            while (queue.Items.TryDequeue(out WorkItem item))
            {
                CountIfCancelledLate(in item);
                HandleLate(new WorkItem(item.Kind, item.Target, item.State, item.Context, queue));
            }
        }

        CancelLiveTasks();
        CancelTimers(); // timers armed by the work that ran while stopping
        ReportUnobservedFaultsAtShutdown();
        _shutdownReport = _drain.CreateReport(Name, Math.Max(0, Volatile.Read(ref _outstandingOperations)));
    }

    /// <summary>Counts, for the report, a task that the late path is about to cancel (the owner's last items).</summary>
    private void CountIfCancelledLate(in WorkItem item)
    {
        if (item.Kind is WorkKind.Poll or WorkKind.Wake && !Unsafe.As<LocalTask>(item.Target).IsCompleted)
        {
            _drain.CountCancelled(Unsafe.As<LocalTask>(item.Target));
        }
    }

    /// <summary>Ends the armed timers: sleeps and timeouts cancelled, repeating timers dropped.</summary>
    private void CancelTimers()
    {
        foreach (TimerEntry timer in _timers.Clear())
        {
            timer.OnShutdown();
        }
    }

    private void CancelLiveTasks()
    {
        while (LiveTasks.TakeFirst() is LocalTask task)
        {
            _drain.CountCancelled(task);
            task.CancelAtShutdown();
        }
    }

    /// <returns>True if anything ran.</returns>
    private bool RunQueuedOnce()
    {
        bool ranAny = false;
        foreach (TaskQueue queue in _queues)
        {
            RunQueue items = queue.Items;
            int count = items.Count;
            if (count == 0)
            {
                continue;
            }

            ranAny = true;
            t_currentQueue = queue;
            for (int i = 0; i < count && items.TryDequeue(out WorkItem item); i++)
            {
                if (item.Kind == WorkKind.Poll)
                {
                    var task = (LocalTask)item.Target;
                    if ((task._state & TaskState.Finished) == 0)
                    {
                        _drain.CountCancelled(task);
                    }

                    task.CancelLocal(); // raw tasks end by cancellation, never another poll
                }
                else
                {
                    Execute(queue, in item);
                }
            }

            t_currentQueue = null;
        }

        return ranAny;
    }

    /// <summary>Reports an exception that nothing awaits: to the <see cref="UnhandledException"/> handlers, else to the
    /// default sink (standard error and <see cref="System.Diagnostics.Trace"/>); then the policy applies. On the executor
    /// thread, except for late work and for failures found after the executor stopped or by the finalizer.</summary>
    internal void ReportUnhandled(Exception exception, UnhandledExceptionOrigin origin = UnhandledExceptionOrigin.Work)
    {
        EventHandler<UnhandledExecutorExceptionEventArgs>? handlers = UnhandledException;
        try
        {
            if (handlers is null)
            {
                DefaultSink.Write(this, exception, origin);
            }
            else
            {
                handlers(this, new UnhandledExecutorExceptionEventArgs(this, exception, origin));
            }
        }
        catch (Exception handlerFailure)
        {
            // A handler that throws cannot be trusted to have dealt with anything: stop rather than go on blindly.
            Interlocked.CompareExchange(ref _stopException, new AggregateException(exception, handlerFailure), null);
            RequestStop();
            return;
        }

        if (_options.UnhandledExceptionPolicy == UnhandledExceptionPolicy.StopExecutor)
        {
            Interlocked.CompareExchange(ref _stopException, exception, null);
            RequestStop();
        }
    }

    /// <summary>Reports, as the executor ends, the failures of tasks that faulted while nothing awaited them and that
    /// nothing observed since: deterministic at the latest here, and never twice (see <see cref="UnobservedFault"/>).</summary>
    private void ReportUnobservedFaultsAtShutdown()
    {
        if (_unobservedFaults is null)
        {
            return;
        }

        foreach (UnobservedFault fault in _unobservedFaults.TakeAll())
        {
            fault.Report();
        }
    }

    private UnobservedFaultList? _unobservedFaults;

    /// <summary>The failures waiting to be observed (created on the first).</summary>
    internal UnobservedFaultList UnobservedFaults
    {
        get
        {
            UnobservedFaultList? list = Volatile.Read(ref _unobservedFaults);
            return list ?? Interlocked.CompareExchange(ref _unobservedFaults, new UnobservedFaultList(), null) ?? _unobservedFaults!;
        }
    }

    /// <summary>
    /// Raised for an exception that nothing awaits: thrown by a posted callback (<see cref="Post(Action)"/>,
    /// <c>SynchronizationContext.Post</c>), a timer callback or an <c>async void</c> method, or the failure of a
    /// <see cref="LocalTask"/> that nothing awaits (see <see cref="LocalTask.Detach"/>); <see cref="UnhandledExecutorExceptionEventArgs.Origin"/>
    /// says which. Raised on the executor thread, except for late work (raised where it arrived) and for task failures
    /// found unobserved by the garbage collector (the finalizer thread) or after the executor's thread ended its work.
    /// With no handler attached, the exception is written to standard error and to <see cref="System.Diagnostics.Trace"/>,
    /// never dropped. Then <see cref="LocalExecutorOptions.UnhandledExceptionPolicy"/> decides whether the executor goes
    /// on. A handler that throws stops the executor.
    /// </summary>
    public event EventHandler<UnhandledExecutorExceptionEventArgs>? UnhandledException;
}
