using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

// The consumer side: only the consumer writes HeadPosition/TailCache and publishes HeadWord.
public sealed partial class SharedChannel<T> : IReceiveSide<T>
{
    /// <summary>Receives an item if one is there, without waiting.</summary>
    /// <param name="item">The item, or default.</param>
    /// <returns>False if the channel is empty (closed or not).</returns>
    /// <exception cref="InvalidOperationException">The consumer side is bound to another executor.</exception>
    public bool TryReceive(out T item)
    {
        CheckBinding(ref _receiverBinding, "receiving side of this SharedChannel");
        return TryReceiveCore(out item);
    }

    /// <summary>
    /// Receives the next item, waiting while the channel is empty. Completes synchronously (no allocation) when an
    /// item is there; a wait allocates nothing either.
    /// </summary>
    /// <param name="cancellationToken">Cancels a wait; no item is taken then.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed and every item sent before the close was received.</exception>
    /// <exception cref="InvalidOperationException">The consumer side is bound to another executor, or another receive
    /// on this channel is still pending.</exception>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        CheckBinding(ref _receiverBinding, "receiving side of this SharedChannel");
        return TryReceiveCore(out T item) ? new ValueTask<T>(item) : ReceiveSlow(cancellationToken);
    }

    private ValueTask<T> ReceiveSlow(CancellationToken cancellationToken)
    {
        if (_receive.IsPending && !TryReclaimAbandonedReceive())
        {
            throw new InvalidOperationException("Another receive on this SharedChannel is still pending; a single consumer receives one item at a time.");
        }

        if (IsClosed)
        {
            // Items sent before the close are still delivered; only an empty closed channel ends.
            return TryReceiveCore(out T last) ? new ValueTask<T>(last) : ValueTask.FromException<T>(new ChannelClosedException());
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
        ref SpscIndices indices = ref _indices;
        long head = indices.HeadPosition;
        if (head == indices.TailCache)
        {
            indices.TailCache = Volatile.Read(ref indices.TailWord) >> SpscIndices.FlagBits;
            if (head == indices.TailCache)
            {
                item = default!;
                return false;
            }
        }

        int slot = (int)head & _mask;
        item = _buffer[slot];
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            _buffer[slot] = default!; // do not keep the item alive from the ring
        }

        indices.HeadPosition = head + 1;
        long expected = head << SpscIndices.FlagBits;
        long seen = Interlocked.CompareExchange(ref indices.HeadWord, (head + 1) << SpscIndices.FlagBits, expected);
        if (seen != expected)
        {
            PublishHeadSlow(head + 1, seen);
        }

        return true;
    }

    /// <summary>Publishes past a flag, keeping the closed bit; wakes the producer if it waited for room.</summary>
    private void PublishHeadSlow(long next, long seen)
    {
        WaitingWord.TryPublish(ref _indices.HeadWord, next, seen, refuseWhenClosed: false, out bool senderWaited);
        if (senderWaited)
        {
            _send.Signal(); // the producer waited for this room; the compare-and-swap lowered its flag, so only we wake it
        }
    }

    /// <summary>A receive whose raw task was cancelled while it waited no longer blocks the consumer side.</summary>
    private bool TryReclaimAbandonedReceive()
    {
        if (!_receive.IsAbandoned)
        {
            return false;
        }

        _receive.ReleaseAbandoned(withdrawn: TryStopWaitingForItem());
        return true;
    }

    /// <summary>Raises the consumer's waiting flag unless an item is there or the channel closed.</summary>
    private bool TryWaitForItem() => WaitingWord.TryRaise(ref _indices.TailWord, _indices.HeadPosition);

    private bool TryStopWaitingForItem() => WaitingWord.TryWithdraw(ref _indices.TailWord);

    ValueTaskSourceStatus IReceiveSide<T>.PeekReceive()
    {
        long word = Volatile.Read(ref _indices.TailWord);
        if ((word >> SpscIndices.FlagBits) != _indices.HeadPosition)
        {
            return ValueTaskSourceStatus.Succeeded;
        }

        return (word & SpscIndices.ClosedBit) != 0 ? ValueTaskSourceStatus.Faulted : ValueTaskSourceStatus.Pending;
    }

    bool IReceiveSide<T>.TryReceiveCore(out T item) => TryReceiveCore(out item);

    bool IReceiveSide<T>.TryWaitForItem() => TryWaitForItem();

    bool IReceiveSide<T>.TryStopWaitingForItem() => TryStopWaitingForItem();
}
