using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Platform;

namespace ThreadPerCore;

// The hot path: the loop that drains the inbox, fires due timers, picks a task queue, pops and polls. Everything
// here runs on the executor thread.
public sealed partial class LocalExecutor
{
    /// <summary>How many items a slice runs at most before the loop looks at its inbox and timers again, so foreign
    /// wakes are not starved by a queue full of short items.</summary>
    internal const int InboxCheckInterval = 64;

    /// <summary>Virtual runtimes are shifted down once the running queue's passes this (see <see cref="RebaseVruntimes"/>).</summary>
    internal const long VRuntimeRebaseThreshold = 1L << 60;

    private static readonly Action<object?> s_runSliceInCarrier = static self => ((LocalExecutor)self!).RunCarriedSlice();

    private readonly TimerHeap _timers = new();

    // Scheduler state (owner thread).
    private TaskQueue[] _queues;
    private long _minVruntime;
    private long _sliceDeadline = long.MaxValue;
    private long _sliceStart;
    private long _clockFloor;
    private TaskQueue? _carriedQueue;

    // Set by producers whose wake targets a latency-sensitive queue; reset by the owner before it drains the inbox.
    private int _preempt;

    // Statistics: single writer (the owner), read anywhere with Volatile.Read.
    private long _itemsRun;
    private long _slices;
    private long _busyTicks;
    private long _parkedTicks;
    private long _parks;
    private long _spinTicks;
    private long _foreignWakeups;
    private long _latencyPreemptions;
    private long _timersFired;
    private long _foreignItems;

    // The reactor: how many items had run when it was last polled (owner thread).
    private long _itemsAtIoPoll;

    private void RunLoop()
    {
        CaptureLoopRawContext();
        while (!_gate.IsStopRequested || ContinueDraining()) // stopping: the loop runs on while the drain lasts
        {
            // Reset before draining: a producer publishes its item before it raises the flag, so a raise that this
            // reset erases belongs to an item the drain below will see.
            if (_preempt != 0)
            {
                Volatile.Write(ref _preempt, 0);
            }

            DrainInbox();
            long now = Now();
            if (_timers.Count != 0)
            {
                FireDueTimers(now);
            }

            TaskQueue? queue = SelectQueue(out long slice);
            if (queue is null)
            {
                Park(); // with a reactor, the wait for readiness too
                continue;
            }

            if (_reactor is { SourceCount: > 0 } && _itemsRun != _itemsAtIoPoll)
            {
                // Busy: work ran since the last look, so look again without waiting; readiness is seen at least once
                // a slice (InboxCheckInterval items or the time slice), and a loop with no descriptor never asks.
                PollIo();
            }

            RunSlice(queue, now, slice);
        }

        ShutdownOnOwner();
    }

    /// <summary>The executor's clock: the preemption clock, never behind the last precise reading (taken after a park,
    /// while the clock may still be waking up).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Now()
    {
        long now = PreemptClock.Now;
        return now > _clockFloor ? now : _clockFloor;
    }

    /// <summary>
    /// The runnable queue with the least virtual runtime, and the time slice it gets: the smallest latency bound
    /// among runnable queues, else <see cref="LocalExecutorOptions.PreemptTimeSlice"/>. With only the default queue
    /// this is one emptiness check.
    /// </summary>
    private TaskQueue? SelectQueue(out long slice)
    {
        TaskQueue[] queues = _queues;
        if (queues.Length == 1)
        {
            slice = _defaultSliceTicks;
            return _defaultQueue.Items.IsEmpty ? null : _defaultQueue;
        }

        TaskQueue? best = null;
        long latency = long.MaxValue;
        foreach (TaskQueue queue in queues)
        {
            if (queue.Items.IsEmpty)
            {
                continue;
            }

            if (best is null || queue.VRuntime < best.VRuntime)
            {
                best = queue;
            }

            if (queue.LatencyTicks != 0 && queue.LatencyTicks < latency)
            {
                latency = queue.LatencyTicks;
            }
        }

        slice = Math.Min(latency, _defaultSliceTicks);
        return best;
    }

    private void RunSlice(TaskQueue queue, long now, long slice)
    {
        if (queue.VRuntime > _minVruntime)
        {
            _minVruntime = queue.VRuntime; // the least runnable vruntime only moves forward
        }

        // With several queues, virtual runtimes decide who runs. Each slice is charged the executor thread's CPU time,
        // as the OS counts it: wall time would bill the running queue for time the OS gave another thread, so on a
        // loaded core the split would drift away from the shares; and a coarse charge (0 or a whole millisecond for a
        // few microseconds of work) would give a small queue debt it has not earned. Those executors pay two precise
        // wall-clock reads (for the deadline and the clock floor) and two CPU-clock reads per slice. A lone default
        // queue shares with nobody: it is charged with the coarse clock, at no cost.
        bool precise = _queues.Length > 1;
        long cpuStart = 0;
        if (precise)
        {
            now = Stopwatch.GetTimestamp();
            cpuStart = ThreadCpuClock.Now();
        }

        long deadline = now + slice;
        long nextTimer = _timers.NextDeadline;
        _sliceStart = now;
        deadline = nextTimer < deadline ? nextTimer : deadline;
        Volatile.Write(ref _sliceDeadline, deadline);
        PreemptClock.Nudge(deadline);
        t_currentQueue = queue;
        if (_turnWatch is { } watch)
        {
            watch.Queue = queue;
        }

        if (queue == _defaultQueue)
        {
            // The loop's own carrier task already runs under the default queue's scheduler.
            RunItems(queue);
        }
        else
        {
            // TaskScheduler.Current comes from the executing Task: a carrier per slice (one allocation per slice,
            // none per item) makes it this queue's scheduler, so Task.Factory inside the work stays in the queue.
            _carriedQueue = queue;
            new Task(s_runSliceInCarrier, this, CancellationToken.None, TaskCreationOptions.DenyChildAttach)
                .RunSynchronously(queue.Scheduler);
            _carriedQueue = null;
        }

        t_currentQueue = null;
        Volatile.Write(ref _sliceDeadline, long.MaxValue);
        long cpu;
        if (precise)
        {
            cpu = ThreadCpuClock.Now() - cpuStart;
            _clockFloor = Stopwatch.GetTimestamp();
        }
        else
        {
            cpu = Now() - now;
        }

        if (cpu < 0)
        {
            cpu = 0;
        }

        queue.Charge(cpu);
        if (queue.VRuntime > VRuntimeRebaseThreshold)
        {
            RebaseVruntimes();
        }

        Volatile.Write(ref _slices, _slices + 1);
        Volatile.Write(ref _busyTicks, _busyTicks + cpu);
    }

    /// <summary>Only differences of virtual runtimes matter; shift them all down long before a 1-share queue (whose
    /// clock runs 1000 times faster than real time) could overflow a long, which would take it about 100 days alone.
    /// Every runnable queue is at or above <see cref="_minVruntime"/>; idle ones below it are lifted to it when they
    /// wake anyway, so clamping them at zero changes nothing.</summary>
    private void RebaseVruntimes()
    {
        long shift = _minVruntime;
        foreach (TaskQueue each in _queues)
        {
            each.VRuntime = Math.Max(0, each.VRuntime - shift);
        }

        _minVruntime = 0;
    }

    private void RunCarriedSlice() => RunItems(_carriedQueue!);

    /// <summary>Runs the queue's items in FIFO order until it is empty, its slice is used up, a latency-sensitive wake
    /// arrived, or <see cref="InboxCheckInterval"/> items ran.</summary>
    private void RunItems(TaskQueue queue)
    {
        RunQueue items = queue.Items;
        if (System.Threading.SynchronizationContext.Current != queue.SynchronizationContext)
        {
            System.Threading.SynchronizationContext.SetSynchronizationContext(queue.SynchronizationContext);
        }

        int ran = 0;
        while (items.TryDequeue(out WorkItem item))
        {
            Execute(queue, in item);
            ran++;
            queue.CountItemRun(); // per item, so a snapshot taken as soon as the work completes already counts it
            Volatile.Write(ref _itemsRun, _itemsRun + 1);
            if (ran == InboxCheckInterval || NeedsPreemptCore)
            {
                break;
            }
        }
    }

    /// <summary>Applies work handed over by other threads: wakes and cancels to their tasks, the rest to its queue.</summary>
    private void DrainInbox()
    {
        if (_inbox.IsEmpty)
        {
            return;
        }

        // Bounded by what is there now, so a producer that never stops cannot starve the run queues.
        int applied = 0;
        for (int n = _inbox.Count; n > 0 && _inbox.TryDequeue(out WorkItem item); n--)
        {
            Apply(in item);
            applied++;
        }

        Volatile.Write(ref _foreignItems, _foreignItems + applied);
    }

    /// <summary>Takes the readiness the reactor has now, without waiting, and wakes the tasks waiting for it.</summary>
    /// <returns>How many readiness events were dispatched.</returns>
    private int PollIo()
    {
        _itemsAtIoPoll = _itemsRun;
        return _reactor!.Poll(0, out _);
    }

    private static void Apply(in WorkItem item)
    {
        switch (item.Kind)
        {
            case WorkKind.Wake:
                Unsafe.As<LocalTask>(item.Target).WakeByRef();
                break;
            case WorkKind.Cancel:
                Unsafe.As<LocalTask>(item.Target).CancelLocal();
                break;
            case WorkKind.Control:
                Unsafe.As<Action<object?>>(item.Target)(item.State);
                break;
            default:
                Debug.Assert(item.Queue is not null, "work from other threads names its queue");
                item.Queue!.Enqueue(new WorkItem(item.Kind, item.Target, item.State, item.Context));
                break;
        }
    }

    /// <summary>Runs one work item as a turn of the loop. Nothing it throws escapes: exceptions go to
    /// <see cref="UnhandledException"/>.</summary>
    private void Execute(TaskQueue queue, in WorkItem item)
    {
        TurnWatch? watch = _turnWatch;
        watch?.Begin(item.Kind, item.Target, item.State);
        ExecuteCore(queue, in item);
        watch?.End();
    }

    /// <summary>Runs one work item, then resets the thread's contexts to the loop's and the queue's.</summary>
    private void ExecuteCore(TaskQueue queue, in WorkItem item)
    {
        try
        {
            switch (item.Kind)
            {
                case WorkKind.Poll:
                    Unsafe.As<LocalTask>(item.Target).Run();
                    break;
                case WorkKind.SchedulerTask:
                    queue.Scheduler.Execute(Unsafe.As<Task>(item.Target));
                    break;
                case WorkKind.PostCallback:
                    RestoreContext(item.Context);
                    Unsafe.As<SendOrPostCallback>(item.Target)(item.State);
                    break;
                case WorkKind.Action:
                    RestoreContext(item.Context);
                    Unsafe.As<Action>(item.Target)();
                    break;
                case WorkKind.StateAction:
                    RestoreContext(item.Context);
                    Unsafe.As<Action<object?>>(item.Target)(item.State);
                    break;
                default:
                    Apply(in item);
                    break;
            }
        }
        catch (Exception exception)
        {
            ReportUnhandled(exception);
        }

        // Work may leave AsyncLocal values or another synchronization context on the thread; the next item must not
        // inherit them. The fields are read off the executor's own thread: two thread-local lookups per item saved.
        if (ThreadContextFields.Available && _loopRawContextKnown)
        {
            Thread thread = _thread;
            if (ThreadContextFields.ExecutionContext(thread) != _loopRawContext)
            {
                ExecutionContext.Restore(LoopContext!);
            }

            if (ThreadContextFields.SynchronizationContext(thread) != queue.SynchronizationContext)
            {
                System.Threading.SynchronizationContext.SetSynchronizationContext(queue.SynchronizationContext);
            }

            return;
        }

        if (ExecutionContext.Capture() != LoopContext)
        {
            ExecutionContext.Restore(LoopContext!);
        }

        if (System.Threading.SynchronizationContext.Current != queue.SynchronizationContext)
        {
            System.Threading.SynchronizationContext.SetSynchronizationContext(queue.SynchronizationContext);
        }
    }

    /// <summary>The loop thread's raw execution context field while it runs under <see cref="LoopContext"/>: what
    /// <see cref="ExecutionContext.Restore"/> of the loop's context leaves there (null for the default context).</summary>
    private ExecutionContext? _loopRawContext;

    /// <summary>False until <see cref="CaptureLoopRawContext"/> ran, and for a loop started with flow suppressed (no
    /// <see cref="LoopContext"/>): then the checks use the public properties.</summary>
    private bool _loopRawContextKnown;

    /// <summary>Records <see cref="_loopRawContext"/>; on the owner thread, before the first item.</summary>
    private void CaptureLoopRawContext()
    {
        if (ThreadContextFields.Available && LoopContext is not null)
        {
            ExecutionContext.Restore(LoopContext);
            _loopRawContext = ThreadContextFields.ExecutionContext(_thread);
            _loopRawContextKnown = true;
        }
    }

    /// <summary>From now on the per-item checks read the public properties, as on a runtime without the fields (owner
    /// thread): lets the tests run that path on this one.</summary>
    internal void UsePublicContextProperties() => _loopRawContextKnown = false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RestoreContext(ExecutionContext? context)
    {
        if (context is not null)
        {
            ExecutionContext.Restore(context);
        }
    }

    /// <summary>Fires every timer whose deadline passed, earliest first (ties in arming order). A timer armed while they
    /// fire (a periodic one re-arming itself, even into the past) waits for the next turn of the loop: no timer can keep
    /// this from returning.</summary>
    private void FireDueTimers(long now)
    {
        int fired = 0;
        long armedBefore = _timers.NextSequence;
        while (_timers.Count != 0 && _timers.NextDeadline <= now && _timers.Peek().Sequence < armedBefore)
        {
            TimerEntry entry = _timers.Pop();
            fired++;
            TurnWatch? watch = _turnWatch;
            watch?.Begin(WorkKind.Control, entry, null);
            try
            {
                entry.OnDue(this, now);
            }
            catch (Exception exception)
            {
                ReportUnhandled(exception);
            }

            watch?.End();
        }

        if (fired != 0)
        {
            Volatile.Write(ref _timersFired, _timersFired + fired);
        }
    }

    /// <summary>Sleeps until work arrives, the next timer is due or, with a reactor, a descriptor is ready.</summary>
    /// <param name="nestedWake">For a park inside a turn (<see cref="PumpUntil"/>): also true when that wait is over;
    /// such a park does not spin first.</param>
    private void Park(Func<bool>? nestedWake = null)
    {
        if (nestedWake is null && _options.SpinBeforePark > TimeSpan.Zero && SpinForWork())
        {
            return;
        }

        int timeout = Timeout.Infinite;
        long start = Stopwatch.GetTimestamp();
        if (_timers.Count != 0)
        {
            long remaining = _timers.NextDeadline - start;
            if (remaining <= 0)
            {
                _clockFloor = start; // due now by the precise clock: fire it on the next turn
                return;
            }

            // Round up: waking a little late fires the timer; waking early only parks again.
            long ms = (remaining + PreemptClock.TicksPerMillisecond - 1) / PreemptClock.TicksPerMillisecond;
            timeout = (int)Math.Min(ms, int.MaxValue - 1);
        }

        Volatile.Write(ref _parks, _parks + 1);
        bool woken = _parker.Park(timeout, nestedWake ?? (_hasLoopWork ??= HasLoopWork)); // with a reactor: the epoll wait
        _itemsAtIoPoll = _itemsRun;
        long end = Stopwatch.GetTimestamp();
        _clockFloor = end;
        PreemptClock.EnsureRunning();
        Volatile.Write(ref _parkedTicks, _parkedTicks + (end - start));
        if (woken)
        {
            Volatile.Write(ref _foreignWakeups, _foreignWakeups + 1);
        }
    }

    private Func<bool>? _hasLoopWork;

    // A stop that the loop has not seen yet, or a drain deadline brought closer, is foreign work too: the loop must look.
    private bool HasForeignWork() => !_inbox.IsEmpty || (_gate.IsStopRequested && _drain.NeedsLoopTurn);

    /// <summary>What the loop's own sleep re-checks: foreign work, or, while it drains, work in flight that ended since the
    /// drain last looked. A turn can end it without running an item (a foreign timer dispose applied from the inbox, an
    /// <c>async void</c> method completing on another thread): without this look the loop would sleep until the
    /// deadline. A nested park (<see cref="PumpUntil"/>) leaves it out: its turn is itself in flight.</summary>
    /// <remarks>Alone, a drain never counts itself idle (it ends at the first idle look), so "drained now" is the change;
    /// in a pool's group, idle is what it counts.</remarks>
    private bool HasLoopWork() => HasForeignWork() || (_gate.IsStopRequested && IsDrained() != _drain.GroupCount.CountedIdle);

    private bool SpinForWork()
    {
        long start = Stopwatch.GetTimestamp();
        bool found = SpinUntilWork(start);
        Volatile.Write(ref _spinTicks, _spinTicks + (Stopwatch.GetTimestamp() - start));
        return found;
    }

    private bool SpinUntilWork(long start)
    {
        long deadline = start + (long)(_options.SpinBeforePark.TotalSeconds * Stopwatch.Frequency);
        long nextTimer = _timers.NextDeadline;
        if (nextTimer < deadline)
        {
            deadline = nextTimer;
        }

        do
        {
            if (HasLoopWork() || (_reactor is { SourceCount: > 0 } && PollIo() != 0))
            {
                return true;
            }

            Thread.SpinWait(8);
        }
        while (Stopwatch.GetTimestamp() < deadline);
        if (nextTimer <= deadline)
        {
            _clockFloor = Stopwatch.GetTimestamp(); // a timer came due while spinning: go fire it instead of parking
            return true;
        }

        return false;
    }
}
