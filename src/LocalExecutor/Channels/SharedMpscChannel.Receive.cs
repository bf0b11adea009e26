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
        return _ring.TryReceive(out item);
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
        if (_ring.TryReceive(out T item))
        {
            return new ValueTask<T>(item);
        }

        if (_receive.IsPending && !TryReclaimAbandonedReceive())
        {
            throw new InvalidOperationException("Another receive on this SharedMpscChannel is still pending; its single consumer receives one item at a time.");
        }

        if (_ring.PeekHead() == MpscHead.End)
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

    /// <summary>A receive whose raw task was cancelled while it waited no longer blocks the consumer side.</summary>
    private bool TryReclaimAbandonedReceive()
    {
        if (!_receive.IsAbandoned)
        {
            return false;
        }

        _receive.ReleaseAbandoned(withdrawn: _ring.TryLowerWaitingFlag());
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckReceiver() =>
        ExecutorBinding.Check(ref _receiverBinding, "receiving side of this SharedMpscChannel", "It has a single consumer.");

    ValueTaskSourceStatus IReceiveSide<T>.PeekReceive() => _ring.PeekHead() switch
    {
        MpscHead.Item => ValueTaskSourceStatus.Succeeded,
        MpscHead.End => ValueTaskSourceStatus.Faulted,
        _ => ValueTaskSourceStatus.Pending,
    };

    bool IReceiveSide<T>.TryReceiveCore(out T item) => _ring.TryReceive(out item);

    bool IReceiveSide<T>.TryWaitForItem() => _ring.TryWaitForItem();

    bool IReceiveSide<T>.TryStopWaitingForItem() => _ring.TryLowerWaitingFlag();
}
