using System;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// What a parked executor sleeps on and what a producer pokes to wake it: the primitive under <see cref="Parker"/>'s
/// handshake. The handshake decides <em>whether</em> to sleep or signal; this only sleeps and signals. The executor's
/// reactor is one (its idle wait is the epoll wait, its signal an eventfd write); without a reactor it is a
/// semaphore.
/// </summary>
internal abstract class ParkSignal : IDisposable
{
    /// <summary>Sleeps until <see cref="Release"/> or the timeout (owner thread).</summary>
    /// <returns>True if a release ended the sleep.</returns>
    public abstract bool Wait(int timeoutMilliseconds);

    /// <summary>Ends the current or the next <see cref="Wait"/> (any thread).</summary>
    public abstract void Release();

    /// <summary>The owner stopped waiting (found work, timed out, or woke for I/O) after a producer had decided to
    /// release it, so the release is on its way or already pending: absorb it as the signal requires (owner thread).</summary>
    public abstract void AbsorbLateRelease();

    public abstract void Dispose();
}

/// <summary>The parker's signal without a reactor: a counting semaphore, so a late release must be taken exactly
/// once, or the next park would return at once for a stale reason.</summary>
internal sealed class SemaphoreParkSignal : ParkSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, int.MaxValue);

    public override bool Wait(int timeoutMilliseconds) => _semaphore.Wait(timeoutMilliseconds);

    public override void Release() => _semaphore.Release();

    public override void AbsorbLateRelease()
    {
        bool taken = _semaphore.Wait(Timeout.Infinite);
        Debug.Assert(taken, "a notified park always has its release coming");
    }

    public override void Dispose() => _semaphore.Dispose();
}
