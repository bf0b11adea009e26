using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Stopping: every task that was ever queued ends (it runs, or it is cancelled); nothing is left pending.
public sealed partial class LocalExecutor
{
    /// <summary>How many passes over the queues shutdown makes before it hands what is left to the thread pool, so
    /// work that keeps re-queueing itself cannot hold the thread forever.</summary>
    private const int ShutdownPasses = 16;

    private Exception? _stopException;

    /// <summary>
    /// Stops the executor and waits for its thread to exit. Calling it again, or concurrently, is harmless.
    /// </summary>
    /// <remarks>
    /// <para>From the moment it is called, new work from other threads is refused with
    /// <see cref="ObjectDisposedException"/> (spawns, <c>QueueTask</c>, <c>Send</c>). The executor then cancels its raw
    /// tasks (<see cref="LocalTask"/>s, queued or suspended: their awaiters see cancellation) in every task queue,
    /// cancels its sleeps and timeouts and drops its timers, runs the callbacks and <see cref="Task"/>s already queued
    /// in every task queue, and exits.</para>
    /// <para>A continuation that arrives later (an await that completes after the stop) is late work: it runs on the
    /// thread pool, so the awaiting method finishes instead of hanging, and <see cref="LateWorkItems"/> counts it.</para>
    /// <para>Called on the executor's own thread it only requests the stop; the returned task completes when the
    /// thread exits.</para>
    /// </remarks>
    public ValueTask DisposeAsync()
    {
        RequestStop();
        return IsOwnerThread ? default : new ValueTask(WaitForExitAsync());
    }

    /// <summary>Stops the executor and blocks until its thread exited (see <see cref="DisposeAsync"/>).</summary>
    public void Dispose()
    {
        RequestStop();
        if (!IsOwnerThread)
        {
            _thread.Join();
            _parker.Dispose();
        }
    }

    private async Task WaitForExitAsync()
    {
        try
        {
            await _completion.Task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The executor's failure is reported by Completion; disposing it succeeds.
        }

        _thread.Join();
        _parker.Dispose();
    }

    /// <summary>Asks the loop to stop; it finishes the item it runs and then shuts down.</summary>
    internal void RequestStop()
    {
        if (Interlocked.CompareExchange(ref _lifecycle, Stopping, Running) == Running)
        {
            _parker.Unpark();
        }
    }

    private void ShutdownOnOwner()
    {
        // Close the gate, then wait for producers already past it: after this, the inbox only loses items to
        // late-work handling on the producers' side, never to oblivion.
        Interlocked.Or(ref _producerGate, 1);
        var spinner = default(SpinWait);
        while ((Volatile.Read(ref _producerGate) & ~1) != 0)
        {
            spinner.SpinOnce();
        }

        Volatile.Write(ref _lifecycle, Stopped);

        // Timers will never fire now: sleeps and timeouts end cancelled, callbacks of repeating timers are dropped.
        foreach (TimerEntry timer in _timers.Clear())
        {
            timer.OnShutdown();
        }

        // Sockets and listeners close; their pending operations fail, and the continuations waiting for them run in
        // the passes below.
        _reactor?.CloseAll();

        for (int pass = 0; pass < ShutdownPasses; pass++)
        {
            while (_inbox.TryDequeue(out WorkItem item))
            {
                Apply(in item);
            }

            CancelLiveTasks();
            if (!RunQueuedOnce())
            {
                break;
            }
        }

        // Whatever still re-queues itself goes to the thread pool as late work.
        while (_inbox.TryDequeue(out WorkItem leftover))
        {
            Apply(in leftover);
        }

        CancelLiveTasks();
        foreach (TaskQueue queue in _queues)
        {
            while (queue.Items.TryDequeue(out WorkItem item))
            {
                if (item.Kind == WorkKind.Poll)
                {
                    ((LocalTask)item.Target).CancelLocal();
                }
                else
                {
                    HandleLate(new WorkItem(item.Kind, item.Target, item.State, item.Context, queue));
                }
            }
        }

        // Timers armed by work that ran during shutdown get the same treatment.
        foreach (TimerEntry timer in _timers.Clear())
        {
            timer.OnShutdown();
        }
    }

    private void CancelLiveTasks()
    {
        while (LiveTasks.TakeFirst() is LocalTask task)
        {
            task.CancelLocal();
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
                    ((LocalTask)item.Target).CancelLocal(); // raw tasks end by cancellation, never another poll
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

    internal void ReportUnhandled(Exception exception)
    {
        try
        {
            UnhandledException?.Invoke(this, new UnhandledExecutorExceptionEventArgs(this, exception));
        }
        catch (Exception handlerFailure)
        {
            // A handler that throws cannot be trusted to have dealt with anything: stop rather than go on blindly.
            _stopException ??= new AggregateException(exception, handlerFailure);
            RequestStop();
            return;
        }

        if (_options.UnhandledExceptionPolicy == UnhandledExceptionPolicy.StopExecutor)
        {
            _stopException ??= exception;
            RequestStop();
        }
    }

    /// <summary>
    /// Raised on the executor thread for an exception that nothing awaits: thrown by a posted callback, an
    /// <c>async void</c> method, or <see cref="Post(Action)"/> work. Then <see cref="LocalExecutorOptions.UnhandledExceptionPolicy"/>
    /// decides whether the executor goes on. A handler that throws stops the executor.
    /// </summary>
    public event EventHandler<UnhandledExecutorExceptionEventArgs>? UnhandledException;
}
