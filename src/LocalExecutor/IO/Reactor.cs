using System;
using System.Threading;

namespace ThreadPerCore.IO;

/// <summary>
/// An executor's own I/O readiness: the one narrow surface between the loop and the operating system's event queue.
/// The loop calls <see cref="Poll"/> without blocking while it has work and, as the executor's <see cref="ParkSignal"/>,
/// sleeps in it when it has none; other threads only ever call <see cref="ParkSignal.Release"/>. Readiness is dispatched to the
/// registered <see cref="ReactorSource"/>s on the owner thread, which wake their waiting tasks by reference: no inbox,
/// no atomics. epoll is the backend today; io_uring would be another subclass of this.
/// </summary>
internal abstract class Reactor : ParkSignal
{
    // Statistics: written by the owner, read anywhere.
    private long _polls;
    private long _events;
    private long _releases;
    private int _sourceCount;
    private bool _closed;
    private bool _listenersClosed;
    private CoreMemoryPool? _memoryPool;

    protected Reactor(LocalExecutor executor)
    {
        Executor = executor;
    }

    public LocalExecutor Executor { get; }

    /// <summary>The buffers of this executor's connection pipes (created on first use).</summary>
    public CoreMemoryPool MemoryPool => _memoryPool ??= new CoreMemoryPool(Executor);

    /// <summary>The backend's name, for diagnostics ("epoll").</summary>
    public abstract string Backend { get; }

    /// <summary>Descriptors registered now. The loop polls without blocking only when this is not zero, so an executor
    /// that owns no descriptor makes no extra system call.</summary>
    public int SourceCount => _sourceCount;

    public long Polls => Volatile.Read(ref _polls);

    public long Events => Volatile.Read(ref _events);

    /// <summary>Releases sent (eventfd writes on epoll): one per foreign wake that found the owner asleep, none while it
    /// runs. Written by the producers, which the parker's handshake lets through one per park.</summary>
    public long Releases => Interlocked.Read(ref _releases);

    /// <summary>Creates the platform's reactor for <paramref name="executor"/>, or returns null with the reason.</summary>
    public static Reactor? TryCreate(LocalExecutor executor, out string? unavailableReason)
    {
        if (!OperatingSystem.IsLinux())
        {
            unavailableReason = "the reactor needs Linux (epoll); sockets use .NET's own asynchronous socket engine here";
            return null;
        }

        return EpollReactor.TryCreateEpoll(executor, out unavailableReason);
    }

    /// <summary>Starts watching <paramref name="source"/>'s descriptor (owner thread).</summary>
    public void Register(ReactorSource source)
    {
        Executor.VerifyAccess();
        if (_closed || (_listenersClosed && source is ReactorListener))
        {
            IoErrors.ThrowExecutorStopping(Executor);
        }

        RegisterCore(source);
        _sourceCount++;
    }

    /// <summary>Stops watching <paramref name="source"/> (owner thread); nothing is dispatched to it afterwards.</summary>
    public void Unregister(ReactorSource source)
    {
        if (source.Slot < 0)
        {
            return;
        }

        UnregisterCore(source);
        _sourceCount--;
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> (0: not at all, -1: forever) for readiness or a
    /// <see cref="ParkSignal.Release"/>, and dispatches what it found (owner thread).</summary>
    /// <returns>How many readiness events were dispatched to sources.</returns>
    public int Poll(int timeoutMilliseconds, out bool released)
    {
        int dispatched = PollCore(timeoutMilliseconds, out released);
        Volatile.Write(ref _polls, _polls + 1);
        if (dispatched != 0)
        {
            Volatile.Write(ref _events, _events + dispatched);
        }

        return dispatched;
    }

    /// <summary>The parked executor's sleep is the reactor's wait: readiness ends it as well as a release.</summary>
    public sealed override bool Wait(int timeoutMilliseconds)
    {
        Poll(timeoutMilliseconds, out bool released);
        return released;
    }

    /// <summary>Wakes the sleeping owner (any thread): counts the release, then signals the backend.</summary>
    public sealed override void Release()
    {
        Interlocked.Increment(ref _releases); // beside the eventfd write that follows, one atomic add is noise
        ReleaseCore();
    }

    /// <summary>A release that the owner no longer waits for stays pending in the wake descriptor, and the next poll
    /// drains it; at worst one later park returns early and parks again. Nothing to absorb now.</summary>
    public sealed override void AbsorbLateRelease()
    {
    }

    /// <summary>The executor begins to drain: listeners close (their pending accepts fail), so no new connection arrives,
    /// and no listener registers any more; connections stay open for the work in flight (owner thread).</summary>
    public void CloseListeners()
    {
        _listenersClosed = true;
        foreach (ReactorSource source in SnapshotSources())
        {
            if (source is ReactorListener)
            {
                try
                {
                    source.OnExecutorStopped();
                }
                catch (Exception exception)
                {
                    Executor.ReportUnhandled(exception);
                }
            }
        }
    }

    /// <summary>The executor stops: every source fails its pending operations and closes (owner thread).</summary>
    public void CloseAll()
    {
        _closed = true;
        foreach (ReactorSource source in SnapshotSources())
        {
            try
            {
                source.OnExecutorStopped();
            }
            catch (Exception exception)
            {
                Executor.ReportUnhandled(exception);
            }
        }
    }

    /// <summary>Ends the owner's current or next <see cref="Poll"/> (any thread).</summary>
    protected abstract void ReleaseCore();

    protected abstract void RegisterCore(ReactorSource source);

    protected abstract void UnregisterCore(ReactorSource source);

    protected abstract int PollCore(int timeoutMilliseconds, out bool released);

    protected abstract ReactorSource[] SnapshotSources();

    /// <summary>Dispatches one readiness event; a source that throws must not take the loop down.</summary>
    protected void Dispatch(ReactorSource source, uint events)
    {
        try
        {
            source.OnReadiness(events);
        }
        catch (Exception exception)
        {
            Executor.ReportUnhandled(exception);
        }
    }
}
