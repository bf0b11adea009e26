using System.Threading;
using Microsoft.Coyote.Random;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// The executor's reactor as the parker sees it (<c>Reactor</c> over <c>EpollReactor</c>, which cannot be compiled here:
/// it calls epoll through P/Invoke). Its wait is <c>epoll_wait</c>, which also returns when a socket is ready, with no
/// release at all: a spurious return, chosen by Coyote up to a budget. A release is an eventfd write, level-triggered:
/// it stays pending until a wait drains it, whether or not anyone waits at that moment, so
/// <see cref="AbsorbLateRelease"/> has nothing to do, as in <c>Reactor</c>.
/// </summary>
/// <remarks>With <c>keepsPendingRelease: false</c> it is the known-broken variant: a release that finds no one blocked
/// in the wait is lost, as with an edge-only signal; the harness must find the wake-up that loses.</remarks>
internal sealed class ReactorSignalModel : ParkSignal
{
    private readonly Generator _choice = Generator.Create();
    private readonly SemaphoreSlim _wakeup = new(0, int.MaxValue); // the eventfd's readiness for a blocked epoll_wait
    private readonly bool _keepsPendingRelease;
    private int _spuriousLeft;
    private int _pending; // the eventfd's counter, as zero or not
    private int _blocked;

    public ReactorSignalModel(int spuriousReturns, bool keepsPendingRelease = true)
    {
        _spuriousLeft = spuriousReturns;
        _keepsPendingRelease = keepsPendingRelease;
    }

    public override bool Wait(int timeoutMilliseconds)
    {
        // A timeout and a ready socket end the wait the same way for the parker: false unless the eventfd was readable
        // too, in which case the same epoll_wait drained it.
        if (_spuriousLeft > 0 && _choice.NextBoolean())
        {
            _spuriousLeft--;
            return Interlocked.Exchange(ref _pending, 0) != 0;
        }

        Volatile.Write(ref _blocked, 1);
        if (Volatile.Read(ref _pending) == 0)
        {
            _wakeup.Wait();
        }

        Volatile.Write(ref _blocked, 0);
        return Interlocked.Exchange(ref _pending, 0) != 0;
    }

    public override void Release()
    {
        if (!_keepsPendingRelease && Volatile.Read(ref _blocked) == 0)
        {
            return; // the broken variant: nobody waits at this instant, so the release is dropped
        }

        Interlocked.Exchange(ref _pending, 1);
        _wakeup.Release();
    }

    public override void AbsorbLateRelease()
    {
    }

    public override void Dispose() => _wakeup.Dispose();
}
