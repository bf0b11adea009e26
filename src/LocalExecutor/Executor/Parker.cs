using System;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// Puts the executor thread to sleep when it has nothing to run and wakes it when another thread hands it work,
/// with no lost wake-up. The owner announces <see cref="Parked"/> with a full fence and then re-checks its inbox;
/// a producer publishes into the inbox with a full fence and then reads the state. Whichever goes second sees the
/// other, so either the owner finds the work or the producer signals the event. A producer pays for the kernel
/// signal only when the owner really sleeps.
/// </summary>
internal sealed class Parker : IDisposable
{
    private const int Empty = 0;
    private const int Parked = 1;
    private const int Notified = 2;

    private readonly ParkSignal _signal;
    private int _state;

    /// <summary>A parker sleeping on <paramref name="signal"/> (the executor's reactor), or on a semaphore.</summary>
    public Parker(ParkSignal? signal = null)
    {
        _signal = signal ?? new SemaphoreParkSignal();
    }

    /// <summary>True while the owner sleeps (or is about to). Read by producers.</summary>
    public bool IsParked => Volatile.Read(ref _state) == Parked;

    /// <summary>
    /// Called by the owner. Sleeps until <see cref="Unpark"/> or the timeout, unless an unpark arrived since the
    /// last park. <paramref name="hasWork"/> is re-checked after the state is published, closing the race window.
    /// </summary>
    /// <returns>True if woken by <see cref="Unpark"/>, false on timeout or when work was found before sleeping.</returns>
    public bool Park(int timeoutMilliseconds, Func<bool> hasWork)
    {
        if (Interlocked.CompareExchange(ref _state, Empty, Notified) == Notified)
        {
            return true;
        }

        if (Interlocked.CompareExchange(ref _state, Parked, Empty) != Empty)
        {
            Volatile.Write(ref _state, Empty); // a notify raced in: consume it
            return true;
        }

        if (hasWork())
        {
            if (Interlocked.Exchange(ref _state, Empty) == Notified)
            {
                _signal.AbsorbLateRelease();
            }

            return false;
        }

        bool signalled = _signal.Wait(timeoutMilliseconds);
        if (Interlocked.Exchange(ref _state, Empty) == Notified && !signalled)
        {
            // Timed out (or woke for I/O) just as a producer notified: its release is on its way.
            _signal.AbsorbLateRelease();
            signalled = true;
        }

        return signalled;
    }

    /// <summary>
    /// Called by any thread after it published work with a full fence (an interlocked operation). Costs one read
    /// when the owner is awake: an owner that is about to park re-checks its inbox after announcing it, so only a
    /// parked owner needs the signal.
    /// </summary>
    public void Unpark()
    {
        if (Volatile.Read(ref _state) == Parked && Interlocked.Exchange(ref _state, Notified) == Parked)
        {
            _signal.Release();
        }
    }

    public void Dispose() => _signal.Dispose();
}
