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

        _send.ReleaseAbandoned(signalInFlight: !TryStopWaitingForRoom());
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
        while (true)
        {
            if ((seen & SpscIndices.ClosedBit) != 0)
            {
                return false;
            }

            long witnessed = Interlocked.CompareExchange(ref _indices.TailWord, next << SpscIndices.FlagBits, seen);
            if (witnessed == seen)
            {
                if ((seen & SpscIndices.WaitingBit) != 0)
                {
                    _receive.Signal(); // the consumer waited for this item; the CAS cleared its flag, so only we wake it
                }

                return true;
            }

            seen = witnessed;
        }
    }

    /// <summary>The reusable wait of the producer: it holds the item until there is room.</summary>
    private sealed class SendOperation(SharedChannel<T> channel) : ChannelOperation, System.Threading.Tasks.Sources.IValueTaskSource
    {
        private T _item = default!;
        private int _cancelRequested;
        private bool _canceled;

        public void Begin(T item, CancellationToken cancellationToken)
        {
            _item = item;
            _canceled = false;
            _cancelRequested = 0;
            Begin(cancellationToken);
        }

        public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token)
        {
            ValidateToken(token);
            if (_canceled)
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
            if (_canceled)
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

        protected override void Arm()
        {
            RegisterCancellation();
            if (!channel.TryWaitForRoom())
            {
                Signal(); // room appeared (or the channel closed) before the flag went up
                return;
            }

            if (Volatile.Read(ref _cancelRequested) != 0 && channel.TryStopWaitingForRoom())
            {
                _canceled = true;
                Signal();
            }
        }

        protected override void OnCancellationRequested()
        {
            Volatile.Write(ref _cancelRequested, 1);
            if (channel.TryStopWaitingForRoom())
            {
                _canceled = true;
                Signal();
            }
        }

        public new void ReleaseAbandoned(bool signalInFlight)
        {
            _item = default!;
            base.ReleaseAbandoned(signalInFlight);
        }

        private void Finish()
        {
            _item = default!;
            Release();
        }
    }

    private bool HasRoom() => _indices.TailPosition - (Volatile.Read(ref _indices.HeadWord) >> SpscIndices.FlagBits) < _capacity;

    /// <summary>Raises the producer's waiting flag unless there is room or the channel closed.</summary>
    /// <returns>True if the flag is up (the consumer will wake the producer); false if there is no need to wait.</returns>
    private bool TryWaitForRoom()
    {
        long tail = _indices.TailPosition;
        long word = Volatile.Read(ref _indices.HeadWord);
        while (true)
        {
            if (tail - (word >> SpscIndices.FlagBits) < _capacity || (word & SpscIndices.ClosedBit) != 0)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _indices.HeadWord, word | SpscIndices.WaitingBit, word);
            if (seen == word)
            {
                return true;
            }

            word = seen;
        }
    }

    /// <returns>True if this call lowered the producer's waiting flag (so nobody else will signal the wait).</returns>
    private bool TryStopWaitingForRoom() => TryClearWaiting(ref _indices.HeadWord);

    private static bool TryClearWaiting(ref long word)
    {
        long current = Volatile.Read(ref word);
        while ((current & SpscIndices.WaitingBit) != 0)
        {
            long seen = Interlocked.CompareExchange(ref word, current & ~SpscIndices.WaitingBit, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }
}
