using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore.Channels;

/// <summary>
/// The protocol of <see cref="SharedMpscChannel{T}"/>, with nothing of the executor in it: a bounded lock-free ring
/// from any number of producers to one consumer (Dmitry Vyukov's bounded queue: producers claim positions with a
/// compare-and-swap and publish them with a per-slot sequence number), its close, the consumer's waiting flag, and
/// the FIFO of sends waiting for room.
/// </summary>
/// <remarks>
/// <para>It depends only on the BCL and on two seams (<see cref="IChannelSignal"/> for the consumer's wait,
/// <see cref="IMpscSendWait{T, TWait}"/> for the waiting sends), so the systematic tests compile this very source and
/// explore its interleavings under Coyote with model waits; the channel supplies its pooled awaitable waits.</para>
/// <para>A mutable struct, held in a field of its channel so a send costs no extra indirection: never copy it.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
/// <typeparam name="TWait">The waiting sends.</typeparam>
internal partial struct MpscRing<T, TWait>
    where TWait : class, IMpscSendWait<T, TWait>
{
    private const long ClosedBit = MpscPositions.ClosedBit;

    private readonly Slot[] _slots;
    private readonly int _mask;
    private readonly IChannelSignal _receiver;

    // Guards the list of waiting sends (and what a wait's owner writes for the serving thread to read): held for a
    // few writes, never across a wake or user code. A monitor, not a System.Threading.Lock, because Coyote controls
    // monitors and the systematic tests explore this code.
    private readonly object _sendLock = new();
    private SendWaitList _sendWaits;
    private MpscPositions _positions;

    /// <summary>Creates a ring of <paramref name="capacity"/> rounded up to a power of two (which the slot sequence
    /// numbers need); the caller checks the bounds.</summary>
    /// <param name="capacity">At least 2.</param>
    /// <param name="receiver">The consumer's wait, signalled by whoever takes its waiting flag.</param>
    public MpscRing(int capacity, IChannelSignal receiver)
    {
        _slots = new Slot[BitOperations.RoundUpToPowerOf2((uint)capacity)];
        _mask = _slots.Length - 1;
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i].Sequence = i; // slot i is free for the producer that claims position i
        }

        _receiver = receiver;
    }

    /// <summary>The most items the ring holds.</summary>
    public readonly int Capacity => _slots.Length;

    /// <summary>How many items are claimed or in the ring (a snapshot).</summary>
    public int Count => (int)Math.Clamp((Volatile.Read(ref _positions.EnqueueWord) >> 1) - Volatile.Read(ref _positions.DequeuePosition), 0, _slots.Length);

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed => (Volatile.Read(ref _positions.EnqueueWord) & ClosedBit) != 0;

    /// <summary>True while the consumer waits for an item.</summary>
    public bool IsReceiverWaiting => Volatile.Read(ref _positions.ReceiverWaitingAt) != 0;

    /// <summary>How many sends wait for room.</summary>
    public int WaitingSends => Volatile.Read(ref _positions.RoomWaitCount);

    /// <summary>Stops sends: the consumer then takes every item sent before, then finds the end. Any thread.</summary>
    /// <returns>True if this call closed the ring.</returns>
    public bool Close()
    {
        long word = Volatile.Read(ref _positions.EnqueueWord);
        while ((word & ClosedBit) == 0)
        {
            long seen = Interlocked.CompareExchange(ref _positions.EnqueueWord, word | ClosedBit, word);
            if (seen == word)
            {
                // No position can be claimed any more. Wake the receiver if the close is what it would find now; a
                // position claimed before the close but not yet published wakes it when its producer publishes it (the
                // receiver must not be woken to find neither an item nor the end). Senders retry and see the close.
                WakeReceiverIfReady();
                ServeWaitingSends(); // each waiting send finds the close
                return true;
            }

            word = seen;
        }

        return false;
    }

    /// <summary>Sends <paramref name="item"/> if there is room, without waiting. Any thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public MpscSendOutcome TrySend(T item)
    {
        MpscSendOutcome outcome = TryClaim(out long position);
        if (outcome == MpscSendOutcome.Sent)
        {
            Publish(position, item);
        }

        return outcome;
    }

    /// <summary>Writes <paramref name="item"/> at the claimed <paramref name="position"/> and publishes it, then wakes the
    /// receiver if it waits for it. Any thread; producers publish out of claim order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long position, T item)
    {
        ref Slot slot = ref _slots[(int)position & _mask];
        slot.Item = item;

        // Publish with a full fence, then look whether the receiver waits: the receiver raises its flag with a full fence
        // and then looks at its head, so one of the two sees the other.
        Interlocked.Exchange(ref slot.Sequence, position + 1);
        WakeReceiverIfReady();
    }

    /// <summary>
    /// Gives up the claimed <paramref name="position"/> unfilled (the send it was reserved for was cancelled): its slot is
    /// freed at once for the producer one lap ahead, as the consumer would free it, and the consumer steps over the
    /// position (<see cref="IsHole"/>). A hole holds no room, so a consumer waiting at it cannot leave the ring full of
    /// them. Then, as after any free, the waiting sends are served, and the receiver is woken if an item or the end
    /// follows.
    /// </summary>
    public void PublishHole(long position)
    {
        Interlocked.Exchange(ref _slots[(int)position & _mask].Sequence, position + _slots.Length);
        if (Volatile.Read(ref _positions.RoomWaitCount) > 0)
        {
            ServeWaitingSends();
        }

        WakeReceiverIfReady();
    }

    /// <summary>Takes the next item, if one is published, stepping over holes. The consumer only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReceive(out T item)
    {
        while (true)
        {
            long position = _positions.DequeuePosition;
            ref Slot slot = ref _slots[(int)position & _mask];
            long sequence = Volatile.Read(ref slot.Sequence);
            if (sequence != position + 1)
            {
                if (!IsHole(sequence, position))
                {
                    item = default!;
                    return false; // empty, or claimed but not yet published
                }

                // Given up by a cancelled send, its slot already freed for the next lap: step over it.
                Volatile.Write(ref _positions.DequeuePosition, position + 1);
                continue;
            }

            item = slot.Item;
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                slot.Item = default!;
            }

            Volatile.Write(ref _positions.DequeuePosition, position + 1);

            // Free the slot for the producer one lap ahead, with a full fence, then look for senders waiting for room: a
            // waiting sender counts itself with a full fence and then looks at the slots, so one of the two sees the other.
            Interlocked.Exchange(ref slot.Sequence, position + _slots.Length);
            if (Volatile.Read(ref _positions.RoomWaitCount) > 0)
            {
                ServeWaitingSends();
            }

            return true;
        }
    }

    /// <summary>Claims the next position, if its slot is free and the ring open; writes nothing in it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MpscSendOutcome TryClaim(out long position)
    {
        long word = Volatile.Read(ref _positions.EnqueueWord);
        while (true)
        {
            if ((word & ClosedBit) != 0)
            {
                position = -1;
                return MpscSendOutcome.Closed;
            }

            position = word >> 1;
            long sequence = Volatile.Read(ref _slots[(int)position & _mask].Sequence);
            if (sequence == position)
            {
                // Free slot for this position: claim it. Fails if another producer claimed it, or the ring closed.
                long seen = Interlocked.CompareExchange(ref _positions.EnqueueWord, (position + 1) << 1, word);
                if (seen == word)
                {
                    return MpscSendOutcome.Sent;
                }

                word = seen;
            }
            else if (sequence < position)
            {
                return MpscSendOutcome.Full; // the slot still holds the item from one lap ago
            }
            else
            {
                word = Volatile.Read(ref _positions.EnqueueWord); // another producer moved on; catch up
            }
        }
    }

    private struct Slot
    {
        public T Item;
        public long Sequence;
    }
}
