using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore.Channels;

/// <summary>What the consumer of a <see cref="MpscRing{T, TWait}"/> finds at its head, holes skipped.</summary>
internal enum MpscHead
{
    /// <summary>Nothing yet: the next position is free, or claimed and not yet published.</summary>
    Empty,

    /// <summary>An item is published at the next position that is not a hole.</summary>
    Item,

    /// <summary>The ring is closed and every position claimed before the close was taken.</summary>
    End,
}

// What the consumer finds at the head of the ring, its waiting flag, and the rule that wakes it: the one place that
// knows about holes.
internal partial struct MpscRing<T, TWait>
{
    /// <summary>What a receive would find now (the consumer, or any thread for a snapshot).</summary>
    public MpscHead PeekHead() => PeekHead(_positions.DequeuePosition);

    /// <summary>
    /// Raises the consumer's waiting flag, naming its position, with a full fence, then looks at the head: a producer
    /// publishes with a full fence, then looks at the flag, so one of the two sees the other. The consumer only.
    /// </summary>
    /// <returns>True if the consumer now waits (whoever takes the flag signals it); false if an item or the end was
    /// there and the consumer took its flag back itself.</returns>
    public bool TryWaitForItem()
    {
        long position = _positions.DequeuePosition;
        Interlocked.Exchange(ref _positions.ReceiverWaitingAt, position + 1);
        return !(PeekHead(position) != MpscHead.Empty
            && Interlocked.CompareExchange(ref _positions.ReceiverWaitingAt, 0, position + 1) == position + 1);
    }

    /// <summary>Takes the consumer's waiting flag back, if nobody took it first (whoever takes it signals the wait).</summary>
    /// <returns>False if the flag was not up, or another thread took it and its signal is on its way.</returns>
    public bool TryLowerWaitingFlag()
    {
        long raised = Volatile.Read(ref _positions.ReceiverWaitingAt);
        return raised != 0 && Interlocked.CompareExchange(ref _positions.ReceiverWaitingAt, 0, raised) == raised;
    }

    /// <summary>
    /// True when the slot of <paramref name="position"/>, not yet taken by the consumer, shows a later lap's number: the
    /// position was given up unfilled (a send reserved it, then its raw task was cancelled before it could write its
    /// item) and its slot freed at once for the producer one lap ahead (<see cref="PublishHole"/>), which may have
    /// claimed or filled it since. Nothing else moves a slot past its position before the consumer takes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsHole(long sequence, long position) => sequence > position + 1;

    /// <summary>
    /// Looks at the head from any thread, without taking anything: walks over the holes from <paramref name="position"/>
    /// (the consumer's, or the one its waiting flag names) to the first position that is not one.
    /// </summary>
    private MpscHead PeekHead(long position)
    {
        while (true)
        {
            long sequence = Volatile.Read(ref _slots[(int)position & _mask].Sequence);
            if (sequence == position + 1)
            {
                return MpscHead.Item;
            }

            if (!IsHole(sequence, position))
            {
                long word = Volatile.Read(ref _positions.EnqueueWord);
                return (word & ClosedBit) != 0 && (word >> 1) == position ? MpscHead.End : MpscHead.Empty;
            }

            position++;
        }
    }

    /// <summary>
    /// Wakes the waiting receiver if it would find an item or the end. Every thread that publishes a position (an item or
    /// a hole) calls it after its full fence, and so does the close: of two publishers, the later sees the earlier's
    /// publication, so whoever completes the run of holes up to the first item (or the end) walks over all of it and wakes
    /// the receiver, and nobody wakes it to find neither an item nor the end.
    /// </summary>
    /// <remarks>The flag names the position the receiver waits at, and the walk starts there: a thread that read the flag
    /// of one wait cannot take the flag of a later one (the consumer may have taken the item and raised it again at the
    /// next position in between), because the compare-and-swap expects the position too.</remarks>
    private void WakeReceiverIfReady()
    {
        long waiting = Volatile.Read(ref _positions.ReceiverWaitingAt);
        if (waiting != 0
            && PeekHead(waiting - 1) != MpscHead.Empty
            && Interlocked.CompareExchange(ref _positions.ReceiverWaitingAt, 0, waiting) == waiting)
        {
            _receiver.Signal();
        }
    }
}
