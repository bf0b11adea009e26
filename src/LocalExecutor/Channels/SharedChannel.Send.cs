using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ThreadPerCore.Channels;

// The producer side: only the producer writes TailPosition/HeadCache and publishes TailWord.
public sealed partial class SharedChannel<T>
{
    private enum SendOutcome
    {
        Sent,
        Full,
        Closed,
    }

    /// <summary>Sends <paramref name="item"/> if there is room, without waiting.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False if the channel is full or closed, or a send is still waiting (an item sent now would overtake it).</returns>
    /// <exception cref="InvalidOperationException">The producer side is bound to another executor.</exception>
    public bool TrySend(T item)
    {
        CheckBinding(ref _senderBinding, "sending side of this SharedChannel");
        return (!_send.IsPending || TryReclaimAbandonedSend()) && TrySendCore(item) == SendOutcome.Sent;
    }

    /// <summary>
    /// Sends <paramref name="item"/>, waiting while the channel is full. Completes synchronously (no allocation) when
    /// there is room; a wait allocates nothing either.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels a wait for room; the item is then not sent.</param>
    /// <returns>A task that completes when the item is in the channel.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed, or was closed while the send waited.</exception>
    /// <exception cref="InvalidOperationException">The producer side is bound to another executor, or another send
    /// on this channel is still pending.</exception>
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default)
    {
        CheckBinding(ref _senderBinding, "sending side of this SharedChannel");
        if (_send.IsPending && !TryReclaimAbandonedSend())
        {
            ThrowSendPending(); // the item would overtake the waiting one
        }

        switch (TrySendCore(item))
        {
            case SendOutcome.Sent:
                return default;
            case SendOutcome.Closed:
                return ValueTask.FromException(new ChannelClosedException());
        }

        return SendSlow(item, cancellationToken);
    }

    /// <summary>A send whose raw task was cancelled while it waited is dropped (its item is not sent).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReclaimAbandonedSend()
    {
        if (!_send.IsAbandoned)
        {
            return false;
        }

        _send.ReleaseAbandoned(withdrawn: TryStopWaitingForRoom());
        return true;
    }

    private static void ThrowSendPending() =>
        throw new InvalidOperationException("Another send on this SharedChannel is still pending; a single producer sends one item at a time.");

    private ValueTask SendSlow(T item, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            return ValueTask.FromException(new ChannelClosedException());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        _send.Begin(item, cancellationToken);
        return new ValueTask(_send, _send.Version);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SendOutcome TrySendCore(T item)
    {
        ref SpscIndices indices = ref _indices;
        long tail = indices.TailPosition;
        if (tail - indices.HeadCache >= _capacity)
        {
            indices.HeadCache = Volatile.Read(ref indices.HeadWord) >> SpscIndices.FlagBits;
            if (tail - indices.HeadCache >= _capacity)
            {
                return IsClosed ? SendOutcome.Closed : SendOutcome.Full;
            }
        }

        int slot = (int)tail & _mask;
        _buffer[slot] = item;

        // Publish: the common case is a word with no flag (nobody waits, not closed), one CAS. The CAS is a full fence,
        // so the item is visible before the position that announces it.
        long expected = tail << SpscIndices.FlagBits;
        long seen = Interlocked.CompareExchange(ref indices.TailWord, (tail + 1) << SpscIndices.FlagBits, expected);
        if (seen != expected && !PublishTailSlow(tail + 1, seen))
        {
            _buffer[slot] = default!;
            return SendOutcome.Closed;
        }

        indices.TailPosition = tail + 1;
        return SendOutcome.Sent;
    }

    /// <summary>Publishes past a flag: wakes the consumer if it waits; refuses if the channel is closed.</summary>
    private bool PublishTailSlow(long next, long seen)
    {
        if (!WaitingWord.TryPublish(ref _indices.TailWord, next, seen, refuseWhenClosed: true, out bool receiverWaited))
        {
            return false;
        }

        if (receiverWaited)
        {
            _receive.Signal(); // the consumer waited for this item; the compare-and-swap lowered its flag, so only we wake it
        }

        return true;
    }

    /// <summary>The reusable wait of the producer: it holds the item until there is room, and sends it when the
    /// producer resumes (in <see cref="GetResult"/>, on the producer's own side), so a producer cancelled before it
    /// resumes sends nothing.</summary>
    private sealed class SendOperation(SharedChannel<T> channel) : ChannelOperation, System.Threading.Tasks.Sources.IValueTaskSource
    {
        private T _item = default!;

        public void Begin(T item, CancellationToken cancellationToken)
        {
            _item = item;
            Begin(cancellationToken);
        }

        public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token)
        {
            ValidateToken(token);
            if (IsCanceled)
            {
                return System.Threading.Tasks.Sources.ValueTaskSourceStatus.Canceled;
            }

            if (channel.IsClosed)
            {
                return System.Threading.Tasks.Sources.ValueTaskSourceStatus.Faulted;
            }

            return channel.HasRoom() ? System.Threading.Tasks.Sources.ValueTaskSourceStatus.Succeeded : System.Threading.Tasks.Sources.ValueTaskSourceStatus.Pending;
        }

        public void GetResult(short token)
        {
            ValidateToken(token);
            if (IsCanceled)
            {
                CancellationToken cancellationToken = CancellationToken;
                Finish();
                throw new OperationCanceledException(cancellationToken);
            }

            switch (channel.TrySendCore(_item))
            {
                case SendOutcome.Sent:
                    Finish();
                    return;
                case SendOutcome.Closed:
                    Finish();
                    throw new ChannelClosedException();
                default:
                    throw new InvalidOperationException("The send has not completed yet; await it instead.");
            }
        }

        protected override void Arm() => ArmWith(new RoomFlag(channel));

        protected override void OnCancellationRequested() => CancelWith(new RoomFlag(channel));

        public new void ReleaseAbandoned(bool withdrawn)
        {
            _item = default!;
            base.ReleaseAbandoned(withdrawn);
        }

        private void Finish()
        {
            _item = default!;
            Release();
        }
    }

    /// <summary>The producer's waiting flag on the channel.</summary>
    private readonly struct RoomFlag(SharedChannel<T> channel) : IWaitFlag
    {
        public bool TryRaise() => channel.TryWaitForRoom();

        public bool TryWithdraw() => channel.TryStopWaitingForRoom();
    }

    private bool HasRoom() => _indices.TailPosition - (Volatile.Read(ref _indices.HeadWord) >> SpscIndices.FlagBits) < _capacity;

    /// <summary>Raises the producer's waiting flag unless there is room or the channel closed.</summary>
    /// <returns>True if the flag is up (the consumer will wake the producer); false if there is no need to wait.</returns>
    private bool TryWaitForRoom() => WaitingWord.TryRaise(ref _indices.HeadWord, _indices.TailPosition - _capacity); // full: the head is exactly one capacity behind

    /// <returns>True if this call lowered the producer's waiting flag (so nobody else will signal the wait).</returns>
    private bool TryStopWaitingForRoom() => WaitingWord.TryWithdraw(ref _indices.HeadWord);
}
