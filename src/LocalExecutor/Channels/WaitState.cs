using System;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore.Channels;

/// <summary>
/// Where a wait announces itself to the threads that will end it: a channel's waiting flag (<see cref="WaitingWord"/>)
/// or its list of waiting sends.
/// </summary>
internal interface IWaitFlag
{
    /// <summary>Announces the waiter to its signallers, with a full fence.</summary>
    /// <returns>False when there is nothing to wait for (an item, room or the close came first): then nobody else
    /// signals this wait.</returns>
    bool TryRaise();

    /// <summary>Takes the announcement back.</summary>
    /// <returns>False when a signaller already took it: its signal is on its way.</returns>
    bool TryWithdraw();
}

/// <summary>
/// The protocol of one reusable channel wait (<see cref="ChannelOperation"/>): who waits, which wait this is (the
/// version), whether the waiter has armed, whether its token fired first, whether it was signalled and how, and how
/// many signals of earlier, abandoned waits are still on their way. Every decision is one compare-and-swap on one word,
/// so the waiter, its signallers and its canceller cannot miss each other whatever the memory model, and none of them
/// ever waits for another. Depends on the BCL only, so the systematic tests compile and explore this very file.
/// </summary>
/// <remarks>
/// <para><b>One signal per wait.</b> A channel signals each wait exactly once: the producer or the close that took its
/// flag, the canceller that withdrew it, or the waiter itself when there was nothing to wait for. A signal that comes
/// before the waiter armed is recorded, and the waiter wakes itself when it arms; one that comes after wakes it.</para>
/// <para><b>Abandoned waits.</b> A raw task cancelled while it waits leaves its wait behind, and the next operation on
/// that side reclaims it (<see cref="Release"/>). If a signaller had already taken the wait's flag, its signal may still
/// be on its way, and it must not wake the next wait of this instance. Rather than wait for it, the reclaim counts it as
/// owed: while signals are owed, each arrival pays one off instead of waking anybody. Arrivals are interchangeable
/// (they carry no result; the waiter reads the outcome from the channel), so whichever comes last wakes the current
/// wait, and it comes only after the current wait's own signaller has arrived.</para>
/// <para><b>Reading the waiter.</b> A waking arrival copies <see cref="Waiter"/> before it publishes its decision, and
/// the compare-and-swap fails if the wait was released in between: once the decision is out, the waiter may resume and
/// the instance serve another wait, so nothing of it may be read after.</para>
/// <para><b>Cancellation.</b> A token's callback and the waiter's arming decide on this word who withdraws the flag:
/// the callback if the wait had armed, else the waiter when it arms. Nobody can miss the other, which a flag written by
/// one side and read by the other (two words, a store then a load on each side) cannot guarantee without a full fence
/// on both sides.</para>
/// </remarks>
/// <typeparam name="TWaiter">Who waits: the parts the waking thread needs to wake it.</typeparam>
[DebuggerDisplay("{DebuggerState,nq}")]
internal struct WaitState<TWaiter>
    where TWaiter : struct
{
    /// <summary>Who waits. Written by the waiter before it arms; read by a waking arrival; cleared by <see cref="Release"/>.</summary>
    public TWaiter Waiter;

    // The word. Flags of the current wait (cleared by Release):
    private const int Signalled = 1;       // its signal arrived (set once, by the arrival that is not paid off)
    private const int Armed = 2;           // the waiter is registered and its flag raised; later arrivals wake it
    private const int CancelRequested = 4; // its token fired before it armed: the waiter withdraws it when it arms
    private const int Canceled = 8;        // it ended by cancellation (its flag was withdrawn by a cancel)

    // Signals of earlier, reclaimed waits still on their way (kept by Release).
    private const int OwedShift = 4;
    private const int OwedUnit = 1 << OwedShift;
    private const int OwedMask = 0xFFF << OwedShift;

    // The version of the current wait, the token of its ValueTask (incremented by Release).
    private const int VersionShift = 16;

    private int _word;

    /// <summary>The outcome of one arrival of a signal.</summary>
    public enum Arrival
    {
        /// <summary>It paid off a signal owed by an abandoned wait: nobody is woken.</summary>
        PaidOff,

        /// <summary>It came before the waiter armed: the waiter wakes itself when it arms.</summary>
        Recorded,

        /// <summary>The caller wakes the waiter it was handed.</summary>
        Wake,
    }

    /// <summary>Tells the current wait from earlier and later ones (the token of its ValueTask).</summary>
    public readonly short Version => unchecked((short)(Volatile.Read(in _word) >> VersionShift));

    /// <summary>True once the current wait was signalled (it completes: the waiter may take the result).</summary>
    public readonly bool IsSignalled => (Volatile.Read(in _word) & Signalled) != 0;

    /// <summary>True when the current wait ended by cancellation.</summary>
    public readonly bool IsCanceled => (Volatile.Read(in _word) & Canceled) != 0;

    /// <summary>How many signals of reclaimed waits have not arrived yet (for tests and debuggers).</summary>
    public readonly int OwedSignals => (Volatile.Read(in _word) & OwedMask) >> OwedShift;

    /// <summary>What a debugger shows for the wait: its version, the signals owed, and the flags of the current wait.</summary>
    public readonly string DebuggerState
    {
        get
        {
            int word = Volatile.Read(in _word);
            return $"version {unchecked((short)(word >> VersionShift))}, owed {(word & OwedMask) >> OwedShift}"
                + ((word & Signalled) != 0 ? ", signalled" : string.Empty)
                + ((word & Armed) != 0 ? ", armed" : string.Empty)
                + ((word & CancelRequested) != 0 ? ", cancel requested" : string.Empty)
                + ((word & Canceled) != 0 ? ", canceled" : string.Empty);
        }
    }

    /// <summary>
    /// Arms the current wait, on the waiter's thread, once <see cref="Waiter"/> is set and the token subscribed: raises
    /// the flag, then publishes that the waiter waits.
    /// </summary>
    /// <param name="flag">Where the waiter announces itself.</param>
    /// <param name="waiter">The waiter to wake when the result is true.</param>
    /// <returns>True when the caller must wake the waiter now: its signal came first, there was nothing to wait for, or
    /// its token fired before it armed.</returns>
    public bool Arm<TFlag>(TFlag flag, out TWaiter waiter)
        where TFlag : struct, IWaitFlag
    {
        if (!flag.TryRaise())
        {
            // Nothing to wait for: this arrival is the wait's signal (recorded, or paying off an owed one).
            Arrive(canceled: false, out _);
        }

        int seen = Volatile.Read(ref _word);
        while (true)
        {
            int witnessed = Interlocked.CompareExchange(ref _word, seen | Armed, seen);
            if (witnessed == seen)
            {
                break;
            }

            seen = witnessed;
        }

        if ((seen & Signalled) != 0)
        {
            waiter = Waiter; // our own thread: nothing can release the wait under us
            return true;
        }

        if ((seen & CancelRequested) != 0 && flag.TryWithdraw())
        {
            // The token fired before the wait armed; its callback left the withdrawal to us.
            return Arrive(canceled: true, out waiter) == Arrival.Wake;
        }

        waiter = default;
        return false;
    }

    /// <summary>
    /// The token's callback, on the cancelling thread: withdraws the wait if it has armed (else leaves that to
    /// <see cref="Arm"/>) and, if the withdrawal succeeds, signals it as cancelled.
    /// </summary>
    /// <param name="flag">Where the waiter announced itself.</param>
    /// <param name="waiter">The waiter to wake when the result is true.</param>
    /// <returns>True when the caller must wake the waiter.</returns>
    public bool Cancel<TFlag>(TFlag flag, out TWaiter waiter)
        where TFlag : struct, IWaitFlag
    {
        int seen = Volatile.Read(ref _word);
        while (true)
        {
            if ((seen & Signalled) != 0)
            {
                waiter = default;
                return false; // already over: the signal wins
            }

            int witnessed = Interlocked.CompareExchange(ref _word, seen | CancelRequested, seen);
            if (witnessed == seen)
            {
                break;
            }

            seen = witnessed;
        }

        if ((seen & Armed) != 0 && flag.TryWithdraw())
        {
            return Arrive(canceled: true, out waiter) == Arrival.Wake;
        }

        waiter = default;
        return false;
    }

    /// <summary>Delivers the signal of a thread that took the wait's flag (a producer, a close), from any thread.</summary>
    /// <param name="waiter">The waiter to wake when the result is true.</param>
    /// <returns>True when the caller must wake the waiter.</returns>
    public bool Signal(out TWaiter waiter) => Arrive(canceled: false, out waiter) == Arrival.Wake;

    /// <summary>
    /// Ends the current wait, on the waiter's side, so the instance can serve the next one (whose version is one more).
    /// Never waits: a signal still on its way is counted as owed (see the remarks).
    /// </summary>
    /// <param name="signalDue">True when the wait is abandoned and its flag was taken by a signaller, so its signal was
    /// issued and may not have arrived yet.</param>
    public void Release(bool signalDue)
    {
        int seen = Volatile.Read(ref _word);
        while (true)
        {
            int owed = seen & OwedMask;
            if (signalDue && (seen & Signalled) == 0)
            {
                if (owed == OwedMask)
                {
                    throw new InvalidOperationException("Too many channel signals in flight at once.");
                }

                owed += OwedUnit;
            }

            int next = unchecked((((seen >> VersionShift) + 1) << VersionShift) | owed);
            int witnessed = Interlocked.CompareExchange(ref _word, next, seen);
            if (witnessed == seen)
            {
                break;
            }

            seen = witnessed;
        }

        // Only after the version moved on: an arrival that copied the waiter before fails its compare-and-swap.
        Waiter = default;
    }

    /// <summary><see cref="Arm"/> for a wait whose every transition happens on one thread (a <c>LocalChannel</c>
    /// wait): plain reads and writes, no flag.</summary>
    public bool ArmOnOwnerThread(out TWaiter waiter)
    {
        int seen = _word;
        _word = seen | Armed;
        waiter = (seen & Signalled) != 0 ? Waiter : default;
        return (seen & Signalled) != 0;
    }

    /// <summary><see cref="Signal"/> for a wait whose every transition happens on one thread.</summary>
    public bool SignalOnOwnerThread(out TWaiter waiter)
    {
        int seen = _word;
        Debug.Assert((seen & (Signalled | OwedMask)) == 0, "a local wait is signalled once and owes nothing");
        _word = seen | Signalled;
        waiter = (seen & Armed) != 0 ? Waiter : default;
        return (seen & Armed) != 0;
    }

    /// <summary><see cref="Release"/> for a wait whose every transition happens on one thread (no signal can be on its way).</summary>
    public void ReleaseOnOwnerThread()
    {
        _word = unchecked(((_word >> VersionShift) + 1) << VersionShift);
        Waiter = default;
    }

    private Arrival Arrive(bool canceled, out TWaiter waiter)
    {
        int outcome = canceled ? Canceled : 0;
        int seen = Volatile.Read(ref _word);
        while (true)
        {
            int next;
            Arrival arrival;
            if ((seen & OwedMask) != 0)
            {
                // Pays off the signal of a reclaimed wait. A cancel is always the current wait's own (a reclaim waits
                // for a running callback), so its outcome is kept even when it is the one that pays.
                next = (seen - OwedUnit) | outcome;
                arrival = Arrival.PaidOff;
            }
            else
            {
                Debug.Assert((seen & Signalled) == 0, "a channel signals each wait once");
                next = seen | Signalled | outcome;
                arrival = (seen & Armed) != 0 ? Arrival.Wake : Arrival.Recorded;
            }

            // Copy the waiter before the decision is published (see the remarks); the version in the word validates it.
            waiter = Waiter;
            int witnessed = Interlocked.CompareExchange(ref _word, next, seen);
            if (witnessed == seen)
            {
                if (arrival != Arrival.Wake)
                {
                    waiter = default;
                }

                return arrival;
            }

            seen = witnessed;
        }
    }
}
