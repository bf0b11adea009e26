using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

// The consumer side: one consumer, bound to the executor that first receives.
public sealed partial class SharedMpscChannel<T> : IReceiveSide<T>
{
    /// <summary>Receives an item if one is there, without waiting.</summary>
    /// <param name="item">The item, or default.</param>
    /// <returns>False if no item is ready.</returns>
    /// <exception cref="InvalidOperationException">The consumer side is bound to another executor.</exception>
    public bool TryReceive(out T item)
    {
        CheckReceiver();
        return TryReceiveCore(out item);
    }

    /// <summary>Receives the next item, waiting while there is none.</summary>
    /// <param name="cancellationToken">Cancels a wait; no item is taken then.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed and drained.</exception>
    /// <exception cref="InvalidOperationException">The consumer side is bound to another executor, or another receive
    /// is still pending.</exception>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        CheckReceiver();
        if (TryReceiveCore(out T item))
        {
            return new ValueTask<T>(item);
        }

        if (_receive.IsPending && !TryReclaimAbandonedReceive())
        {
            throw new InvalidOperationException("Another receive on this SharedMpscChannel is still pending; its single consumer receives one item at a time.");
        }

        if (PeekOwnHead() == Head.End)
        {
            return ValueTask.FromException<T>(new ChannelClosedException());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        _receive.Begin(cancellationToken);
        return new ValueTask<T>(_receive, _receive.Version);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReceiveCore(out T item)
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

    private Head PeekOwnHead() => PeekHead(_positions.DequeuePosition);

    /// <summary>A receive whose raw task was cancelled while it waited no longer blocks the consumer side.</summary>
    private bool TryReclaimAbandonedReceive()
    {
        if (!_receive.IsAbandoned)
        {
            return false;
        }

        _receive.ReleaseAbandoned(withdrawn: TryLowerWaitingFlag());
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckReceiver() =>
        ExecutorBinding.Check(ref _receiverBinding, "receiving side of this SharedMpscChannel", "It has a single consumer.");

    /// <summary>Takes the receiver's waiting flag back, if nobody took it first (whoever takes it signals the wait).</summary>
    private bool TryLowerWaitingFlag()
    {
        long raised = Volatile.Read(ref _positions.ReceiverWaitingAt);
        return raised != 0 && Interlocked.CompareExchange(ref _positions.ReceiverWaitingAt, 0, raised) == raised;
    }

    ValueTaskSourceStatus IReceiveSide<T>.PeekReceive() => PeekOwnHead() switch
    {
        Head.Item => ValueTaskSourceStatus.Succeeded,
        Head.End => ValueTaskSourceStatus.Faulted,
        _ => ValueTaskSourceStatus.Pending,
    };

    bool IReceiveSide<T>.TryReceiveCore(out T item) => TryReceiveCore(out item);

    bool IReceiveSide<T>.TryWaitForItem()
    {
        // Raise the flag, naming the position, with a full fence, then look: a producer publishes with a full fence, then
        // looks at the flag.
        long position = _positions.DequeuePosition;
        Interlocked.Exchange(ref _positions.ReceiverWaitingAt, position + 1);
        return !(PeekHead(position) != Head.Empty
            && Interlocked.CompareExchange(ref _positions.ReceiverWaitingAt, 0, position + 1) == position + 1);
    }

    bool IReceiveSide<T>.TryStopWaitingForItem() => TryLowerWaitingFlag();
}
