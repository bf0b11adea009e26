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

        if (IsClosedAndDrained())
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
        long position = _positions.DequeuePosition;
        ref Slot slot = ref _slots[(int)position & _mask];
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            item = default!;
            return false; // empty, or claimed but not yet published
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

    private bool HasItem()
    {
        long position = _positions.DequeuePosition;
        return Volatile.Read(ref _slots[(int)position & _mask].Sequence) == position + 1;
    }

    private bool IsClosedAndDrained()
    {
        long word = Volatile.Read(ref _positions.EnqueueWord);
        return (word & ClosedBit) != 0 && (word >> 1) == _positions.DequeuePosition;
    }

    /// <summary>A receive whose raw task was cancelled while it waited no longer blocks the consumer side.</summary>
    private bool TryReclaimAbandonedReceive()
    {
        if (!_receive.IsAbandoned)
        {
            return false;
        }

        bool withdrawn = Interlocked.CompareExchange(ref _positions.ReceiverWaiting, 0, 1) == 1;
        _receive.ReleaseAbandoned(withdrawn);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckReceiver() =>
        ExecutorBinding.Check(ref _receiverBinding, "receiving side of this SharedMpscChannel", "It has a single consumer.");

    ValueTaskSourceStatus IReceiveSide<T>.PeekReceive() =>
        HasItem() ? ValueTaskSourceStatus.Succeeded
        : IsClosedAndDrained() ? ValueTaskSourceStatus.Faulted
        : ValueTaskSourceStatus.Pending;

    bool IReceiveSide<T>.TryReceiveCore(out T item) => TryReceiveCore(out item);

    bool IReceiveSide<T>.TryWaitForItem()
    {
        // Raise the flag with a full fence, then look: a producer publishes with a full fence, then looks at the flag.
        Interlocked.Exchange(ref _positions.ReceiverWaiting, 1);
        return !((HasItem() || IsClosedAndDrained())
            && Interlocked.CompareExchange(ref _positions.ReceiverWaiting, 0, 1) == 1);
    }

    bool IReceiveSide<T>.TryStopWaitingForItem() => Interlocked.CompareExchange(ref _positions.ReceiverWaiting, 0, 1) == 1;
}
