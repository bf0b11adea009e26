using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// The drain: between the stop request and the cancellation of what is left, the loop goes on running the work in flight
// (its queues, timers, sockets and foreign wakes) while refusing new work from other threads, until that work ends or
// the deadline passes.
public sealed partial class LocalExecutor
{
    private readonly ShutdownDrain _drain;
    private readonly TimeSpan _drainTimeout;
    private ShutdownReport? _shutdownReport;

    /// <summary>
    /// Shuts the executor down gracefully: refuses new work from other threads at once, lets the work in flight finish
    /// until <paramref name="deadline"/>, then cancels what is left, and completes with what happened when the thread has
    /// exited.
    /// </summary>
    /// <remarks>
    /// <para>From the call on, new work from other threads (spawns, <c>Post</c>, <c>QueueTask</c>, <c>Send</c>, timers,
    /// task queues) fails with <see cref="ObjectDisposedException"/>, except from the thread of another executor that is
    /// itself draining (a shard of a pool finishing a request on this one), and the executor's listeners close (their
    /// pending accepts fail): no new connection. The work in flight runs on, on this core, as usual: queued items; raw
    /// tasks (spawns and <see cref="LocalTask"/> methods) suspended on timers, channels, sockets (the reactor keeps
    /// polling) or other tasks; <c>async void</c> methods; and what they start on this core (spawns, sleeps, timers,
    /// connections), so a handler finishes its request. The drain ends as soon as no raw task is unfinished, no
    /// <c>async void</c> method is running and nothing is queued; armed timers by themselves (a repeating timer) do not
    /// keep it going. A <see cref="Task"/> that was started and dropped without a spawn (<c>_ = FooAsync()</c>) is
    /// invisible to the executor while it waits: spawn it to have the drain wait for it.</para>
    /// <para>At the deadline, shutdown goes on as it always did: raw tasks are cancelled (their awaiters see
    /// <see cref="OperationCanceledException"/>), sleeps and timeouts too, sockets close, queued callbacks run. The report
    /// says how many tasks were cancelled and what they were.</para>
    /// <para>A second call, or <see cref="DisposeAsync"/>, can only bring the deadline closer; all of them complete when
    /// the thread exits, with the same report. Called on the executor's own thread it requests the stop; the task
    /// completes once the thread exited (awaiting it there holds the drain: the awaiting task is work in flight).</para>
    /// </remarks>
    /// <param name="deadline">How long the work in flight may take; <see cref="TimeSpan.Zero"/> cancels at once,
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits until it ends.</param>
    /// <returns>What the shutdown did.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deadline"/> is negative (other than infinite).</exception>
    /// <exception cref="ShutdownTimeoutException">The thread did not exit within <see cref="LocalExecutorOptions.ShutdownTimeout"/>
    /// after the deadline: it is blocked in a work item that does not return (see <see cref="DisposeAsync"/>).</exception>
    public Task<ShutdownReport> ShutdownAsync(TimeSpan deadline)
    {
        ValidateDrainTime(deadline, nameof(deadline));
        RequestStop(Deadlines.After(Stopwatch.GetTimestamp(), deadline));
        return WaitForShutdownAsync(CancellationToken.None);
    }

    /// <summary>
    /// Shuts the executor down gracefully, like <see cref="ShutdownAsync(TimeSpan)"/>, with the drain ending when
    /// <paramref name="cancellationToken"/> is cancelled (the shape of <c>IHostedService.StopAsync</c>): the work in
    /// flight gets until then, and what is left is cancelled. An already cancelled token cancels at once; a token that
    /// cannot be cancelled (<see cref="CancellationToken.None"/>) lets the drain last until the work in flight ends.
    /// </summary>
    /// <param name="cancellationToken">Ends the drain.</param>
    /// <returns>What the shutdown did.</returns>
    /// <exception cref="ShutdownTimeoutException">The thread did not exit within <see cref="LocalExecutorOptions.ShutdownTimeout"/>
    /// after the token was cancelled.</exception>
    public Task<ShutdownReport> ShutdownAsync(CancellationToken cancellationToken)
    {
        RequestStop(cancellationToken.IsCancellationRequested ? long.MinValue : Deadlines.Never);
        return WaitForShutdownAsync(cancellationToken);
    }

    /// <summary>Asks the loop to stop, draining with <see cref="LocalExecutorOptions.DrainTimeout"/> (what disposing does).</summary>
    internal void RequestStopWithDrain() => RequestStop(Deadlines.After(Stopwatch.GetTimestamp(), _drainTimeout));

    /// <summary>Joins <paramref name="group"/> before this executor's stop is requested; false if it is stopping already
    /// (it then drains on its own).</summary>
    internal bool JoinDrainGroup(DrainGroup group) =>
        !IsStopping && Interlocked.CompareExchange(ref _drain.Group, group, null) is null;

    /// <summary>
    /// Another draining executor's thread handed this one work (it is in the inbox): if this executor had counted itself
    /// drained in its group, it counts busy again now, while the sender is still running the work that hands it on and so
    /// still counts busy itself. Left to this executor's own next look, the sender could count itself drained first, end
    /// the group's drain, and the work handed on would be cancelled unrun. The caller wakes the loop after this, so that a
    /// receiver that had already run the work and counted itself drained again looks once more.
    /// </summary>
    private void CountBusyForHandedWork()
    {
        if (Volatile.Read(ref _drain.Group) is { } group && _drain.GroupCount.TryCountBusy())
        {
            group.Busy();
        }
    }

    /// <summary>Wakes the loop to look at its drain again (its group is done).</summary>
    internal void WakeForDrain() => _parker.Unpark();

    /// <summary>Asks the loop to stop, at once: the drain ends as soon as the loop sees it (a fatal failure, a pool
    /// that failed to start).</summary>
    internal void RequestStop() => RequestStop(long.MinValue);

    /// <summary>Asks the loop to stop with the drain ending at <paramref name="drainDeadline"/> (Stopwatch ticks) at the
    /// latest; an earlier deadline requested before stands.</summary>
    private void RequestStop(long drainDeadline)
    {
        // The deadline first: the owner that sees the stop sees its deadline. Both are full fences before the parker's
        // state is read, against the owner's announcement of its sleep and its re-check of HasForeignWork.
        bool moved = _drain.Lower(drainDeadline);
        if (_gate.RequestStop() || moved)
        {
            _parker.Unpark();
        }
    }

    private static TimeSpan ValidateDrainTime(TimeSpan time, string name)
    {
        if (time != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(time, TimeSpan.Zero, name);
        }

        return time;
    }

    private async Task<ShutdownReport> WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        Task exited = _completion.Task;
        TaskCompletionSource? cancelled = null;
        CancellationTokenRegistration registration = default;
        if (cancellationToken.CanBeCanceled && !exited.IsCompleted)
        {
            cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            registration = cancellationToken.UnsafeRegister(static state =>
            {
                var (executor, source) = ((LocalExecutor, TaskCompletionSource))state!;
                executor.RequestStop();
                source.TrySetResult();
            }, (this, cancelled));
        }

        using (registration)
        {
            while (!exited.IsCompleted)
            {
                if (cancelled is { Task.IsCompleted: false } && _drain.RequestedDeadline == Deadlines.Never)
                {
                    // No deadline but the token's: wait for the thread or the token, which brings the deadline to now.
                    await Task.WhenAny(exited, cancelled.Task).ConfigureAwait(false);
                    continue;
                }

                TimeSpan bound = ExitWaitBound();
                try
                {
                    // Not a blocking call: awaiting here blocks no executor thread, so it takes no part in deadlock detection.
                    await exited.WaitAsync(bound, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TimeoutException) when (!exited.IsCompleted)
                {
                    throw CreateShutdownTimeout(bound);
                }
                catch (Exception)
                {
                    // The executor's failure is reported by Completion; shutting it down succeeds.
                }
            }
        }

        _thread.Join(); // the thread completes Completion as its last act: this returns at once
        ReleaseThreadResources();
        return _shutdownReport!;
    }

    /// <summary>How long to wait for the thread from now: until the drain deadline, then
    /// <see cref="LocalExecutorOptions.ShutdownTimeout"/> for a thread that has to come back to its loop to cancel the rest.</summary>
    private TimeSpan ExitWaitBound()
    {
        long deadline = _drain.RequestedDeadline;
        if (_shutdownTimeout == Timeout.InfiniteTimeSpan || deadline == Deadlines.Never)
        {
            return Timeout.InfiniteTimeSpan;
        }

        long now = Stopwatch.GetTimestamp();
        TimeSpan drainLeft = deadline > now ? Stopwatch.GetElapsedTime(now, deadline) : TimeSpan.Zero;
        TimeSpan bound = drainLeft + _shutdownTimeout;
        return bound.TotalMilliseconds >= int.MaxValue ? Timeout.InfiniteTimeSpan : bound;
    }

    /// <summary>Called by the loop while a stop is requested (owner thread): true to run another turn, false once the drain
    /// is over, because the work in flight ended or the deadline passed.</summary>
    private bool ContinueDraining()
    {
        ShutdownDrain drain = _drain;
        long now = Stopwatch.GetTimestamp();
        if (!drain.Started)
        {
            BeginDrain(drain, now);
        }

        bool idle = IsDrained();
        if (Volatile.Read(ref drain.Group) is { } group)
        {
            // In a pool, the drain ends when every shard is drained at once (or at the deadline).
            if (idle != drain.GroupCount.CountedIdle)
            {
                if (idle)
                {
                    // Published before the second look, so work handed on meanwhile is either seen by it or clears the mark.
                    drain.GroupCount.BeginCountingIdle();
                    if (drain.GroupCount.FinishCountingIdle(stillDrained: IsDrained()))
                    {
                        group.Idle();
                    }
                }
                else if (drain.GroupCount.TryCountBusy())
                {
                    group.Busy();
                }
            }

            idle = group.IsDone;
        }

        long deadline = drain.RequestedDeadline;
        if (idle || deadline <= now)
        {
            _timers.Remove(drain);
            drain.End(now, deadlineReached: !idle, _itemsRun);
            return false;
        }

        if (!drain.IsArmedAtRequestedDeadline)
        {
            drain.Deadline = deadline; // the loop's sleep ends at the deadline at the latest
            ArmOnOwner(drain);
        }

        return true;
    }

    private void BeginDrain(ShutdownDrain drain, long now)
    {
        _shutdownPhase = "draining: running the work in flight (user code that does not return)";
        // In flight: the tasks polled and unfinished, and those spawned and not polled yet (queued, or still in the inbox).
        var firstWakes = new System.Collections.Generic.HashSet<LocalTask>();
        foreach (TaskQueue queue in _queues)
        {
            CountFirstWakes(queue.Items.ToArray(), firstWakes);
        }

        CountFirstWakes(_inbox.ToArray(), firstWakes);
        drain.Start(now, LiveTasks.Count + firstWakes.Count, _itemsRun);

        // No new connections: a listener's accept loop ends (its pending accept fails), connections stay open.
        _reactor?.CloseListeners();
        _dotNetSockets.CloseListeners();
    }

    private static void CountFirstWakes(WorkItem[] items, System.Collections.Generic.HashSet<LocalTask> tasks)
    {
        foreach (WorkItem item in items)
        {
            if (item.Kind is WorkKind.Poll or WorkKind.Wake && item.Target is LocalTask task
                && (task._state & (TaskState.Tracked | TaskState.Finished)) == 0)
            {
                tasks.Add(task);
            }
        }
    }

    /// <summary>True when nothing is in flight: no raw task unfinished, no <c>async void</c> method running, nothing
    /// queued, nothing in the inbox.</summary>
    private bool IsDrained()
    {
        if (LiveTasks.Count != 0 || !_inbox.IsEmpty || Volatile.Read(ref _outstandingOperations) > 0)
        {
            return false;
        }

        foreach (TaskQueue queue in _queues)
        {
            if (!queue.Items.IsEmpty)
            {
                return false;
            }
        }

        return true;
    }
}
