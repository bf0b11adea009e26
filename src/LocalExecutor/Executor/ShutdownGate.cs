using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The executor's lifecycle and the gate between producers on other threads and the owner's shutdown, in one word, so
/// that "does the executor still take this item" and "I am inside, handing it over" are decided by one atomic step.
/// </summary>
/// <remarks>
/// <para>A producer <see cref="Enter"/>s (one interlocked add), puts its item into the inbox and <see cref="Exit"/>s.
/// The owner, once it has ended its work, <see cref="Close"/>s the gate and waits until no producer is inside: every item
/// that was admitted is then in the inbox for its last look, and every later producer is told <see cref="Admission.Late"/>
/// and handles its item itself. So an item is either seen by the owner or handled late by its producer, never both
/// and never neither.</para>
/// <para>New work (a spawn, a <c>Post</c>, a <c>Send</c>) is <see cref="Admission.Refused"/> as soon as the stop is
/// requested, by the same add that would have admitted it: a lifecycle check made before entering, as the executor
/// once did, can pass just before the stop, and the item then meets a closed gate and is handled as late work, which for
/// a first wake meant a spawn that neither threw nor ever ran.</para>
/// <para>A mutable struct, embedded in the executor so the hot path pays no extra load; never copy it. It depends on
/// the BCL only, so the systematic tests compile this very file and explore its interleavings.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
internal struct ShutdownGate
{
    private const int StopRequestedBit = 1;
    private const int ClosedBit = 2;
    private const int OneProducer = 4;

    // Bit 0: the stop was requested. Bit 1: the gate is closed (implies bit 0). Bits 2 and up: producers inside, times 4.
    private int _word;

    /// <summary>What <see cref="Enter"/> decided for an item.</summary>
    public enum Admission
    {
        /// <summary>The producer is inside: it puts its item into the inbox, where the owner will see it, then calls
        /// <see cref="Exit"/>.</summary>
        Admitted,

        /// <summary>The gate is closed: the owner will not look at the inbox again; the producer handles the item itself.</summary>
        Late,

        /// <summary>New work after the stop was requested: the producer throws <see cref="System.ObjectDisposedException"/>.</summary>
        Refused,
    }

    /// <summary>True once the stop was requested.</summary>
    public bool IsStopRequested => (Volatile.Read(ref _word) & StopRequestedBit) != 0;

    /// <summary>True once the owner closed the gate: the executor has ended all its work and owns no task any more.</summary>
    public bool IsClosed => (Volatile.Read(ref _word) & ClosedBit) != 0;

    /// <summary>What a debugger shows for the gate: running, stopping or closed, and the producers inside.</summary>
    public readonly string DebuggerDisplay
    {
        get
        {
            int word = _word;
            string state = (word & ClosedBit) != 0 ? "closed" : (word & StopRequestedBit) != 0 ? "stopping" : "running";
            return $"{state}, {word / OneProducer} producer(s) inside";
        }
    }

    /// <summary>Requests the stop; true for the one call that requested it first.</summary>
    public bool RequestStop() => (Interlocked.Or(ref _word, StopRequestedBit) & StopRequestedBit) == 0;

    /// <summary>
    /// Called by a producer before it puts an item into the inbox. <paramref name="refuseWhenStopping"/> marks new work,
    /// which is refused from the moment the stop is requested; anything else (a wake, a cancel, a continuation, a timer
    /// request) is admitted until the gate closes and is late after that.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Admission Enter(bool refuseWhenStopping)
    {
        // The full fence of the add orders this producer's announcement before its read of the lifecycle bits; the owner's
        // Close sets its bit with a full fence before it reads the count. Whichever goes second sees the other.
        int word = Interlocked.Add(ref _word, OneProducer);
        if ((word & (StopRequestedBit | ClosedBit)) == 0)
        {
            return Admission.Admitted;
        }

        if (!refuseWhenStopping && (word & ClosedBit) == 0)
        {
            return Admission.Admitted; // stopping: the owner still drains the inbox until it closes the gate
        }

        Interlocked.Add(ref _word, -OneProducer);
        return refuseWhenStopping ? Admission.Refused : Admission.Late;
    }

    /// <summary>Called by an admitted producer once its item is in the inbox.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Interlocked.Add(ref _word, -OneProducer);

    /// <summary>
    /// Called by the owner after it ended its work: closes the gate and waits for the producers inside, which only put
    /// one item into a lock-free queue before they leave. Afterwards the inbox receives nothing more.
    /// </summary>
    public void Close()
    {
        Interlocked.Or(ref _word, StopRequestedBit | ClosedBit);
        var spinner = default(SpinWait);
        while ((Volatile.Read(ref _word) & ~(StopRequestedBit | ClosedBit)) != 0)
        {
            spinner.SpinOnce();
        }
    }
}
