using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

// The producer side: any thread, any number of them.
public sealed partial class SharedMpscChannel<T>
{
    private enum SendOutcome
    {
        Sent,
        Full,
        Closed,
    }

    /// <summary>Sends <paramref name="item"/> if there is room, without waiting. Any thread may call it.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False if the channel is full or closed.</returns>
    public bool TrySend(T item) => TrySendCore(item) == SendOutcome.Sent;

    /// <summary>Sends <paramref name="item"/>, waiting while the channel is full. Any thread may call it, and several
    /// sends may wait at once.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels a wait for room; the item is then not sent.</param>
    /// <returns>A task that completes when the item is in the channel.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed, or was closed while the send waited.</exception>
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default)
    {
        return TrySendCore(item) switch
        {
            SendOutcome.Sent => default,
            SendOutcome.Closed => ValueTask.FromException(new ChannelClosedException()),
            _ => SendSlowAsync(item, cancellationToken),
        };
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(T item, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RoomWait wait = RentRoomWait();
            wait.Begin(cancellationToken);
            _roomWaits.Enqueue(wait);
            Interlocked.Increment(ref _positions.RoomWaitCount); // full fence: the re-check below sees a slot freed before it

            if (HasRoomOrClosed() && wait.Claim())
            {
                wait.ReleaseUnawaited(); // withdrawn before it was awaited; its queue entry is skipped later
            }
            else
            {
                // Resume where the sender was (its executor), so the retry runs there and the caller's await is one hop.
                await new ValueTask(wait, wait.Version).ConfigureAwait(true);
            }

            ReturnRoomWait(wait);
            switch (TrySendCore(item))
            {
                case SendOutcome.Sent:
                    return;
                case SendOutcome.Closed:
                    throw new ChannelClosedException();
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SendOutcome TrySendCore(T item)
    {
        long word = Volatile.Read(ref _positions.EnqueueWord);
        while (true)
        {
            if ((word & ClosedBit) != 0)
            {
                return SendOutcome.Closed;
            }

            long position = word >> 1;
            ref Slot slot = ref _slots[(int)position & _mask];
            long sequence = Volatile.Read(ref slot.Sequence);
            if (sequence == position)
            {
                // Free slot for this position: claim it. Fails if another producer claimed it, or the channel closed.
                long seen = Interlocked.CompareExchange(ref _positions.EnqueueWord, (position + 1) << 1, word);
                if (seen == word)
                {
                    slot.Item = item;

                    // Publish with a full fence, then look whether the receiver waits: the receiver raises its flag with a
                    // full fence and then looks at its head slot, so one of the two sees the other.
                    Interlocked.Exchange(ref slot.Sequence, position + 1);
                    WakeReceiverIfWaitingFor(position);
                    return SendOutcome.Sent;
                }

                word = seen;
            }
            else if (sequence < position)
            {
                return SendOutcome.Full; // the slot still holds the item from one lap ago
            }
            else
            {
                word = Volatile.Read(ref _positions.EnqueueWord); // another producer moved on; catch up
            }
        }
    }

    /// <summary>
    /// Wakes the waiting receiver if the slot just published is the one it waits for. Producers publish out of claim
    /// order; a producer of a later slot must not wake the receiver, which would find its head slot still empty. The
    /// head's own producer wakes it: the receiver wrote its position before raising the flag with a full fence, so a
    /// producer that sees the flag also sees that position.
    /// </summary>
    private void WakeReceiverIfWaitingFor(long position)
    {
        if (Volatile.Read(ref _positions.ReceiverWaiting) != 0
            && Volatile.Read(ref _positions.DequeuePosition) == position
            && Interlocked.CompareExchange(ref _positions.ReceiverWaiting, 0, 1) == 1)
        {
            _receive.Signal();
        }
    }

    private bool HasRoomOrClosed()
    {
        long word = Volatile.Read(ref _positions.EnqueueWord);
        long position = word >> 1;
        return (word & ClosedBit) != 0 || Volatile.Read(ref _slots[(int)position & _mask].Sequence) >= position;
    }

    /// <summary>Called by the consumer after it freed a slot: wakes one waiting send, if any.</summary>
    private void WakeOneRoomWaiter()
    {
        while (Volatile.Read(ref _positions.RoomWaitCount) > 0 && _roomWaits.TryDequeue(out RoomWait? wait))
        {
            Interlocked.Decrement(ref _positions.RoomWaitCount);
            if (wait.Claim())
            {
                return;
            }
        }
    }

    private RoomWait RentRoomWait() => _freeRoomWaits.TryDequeue(out RoomWait? wait) ? wait : new RoomWait();

    private void ReturnRoomWait(RoomWait wait) => _freeRoomWaits.Enqueue(wait);

    /// <summary>
    /// A send waiting for room. Its queue entry may outlive the wait (a withdrawn or cancelled wait leaves it behind):
    /// a later claim through a stale entry finds the wait already claimed and skips it, or wakes a newer wait of the
    /// same instance early, which only makes that send retry. So a freed slot is never lost and no wait hangs.
    /// </summary>
    private sealed class RoomWait : ChannelOperation, IValueTaskSource
    {
        private const int Begun = 0;
        private const int Armed = 1;
        private const int Claimed = 2;

        private int _state = Claimed;

        public new void Begin(CancellationToken cancellationToken)
        {
            Volatile.Write(ref _state, Begun);
            base.Begin(cancellationToken);
        }

        /// <summary>Ends the wait from any thread (room, close, cancel). Wakes the waiter if it already awaits.</summary>
        /// <returns>True if this call ended it.</returns>
        public bool Claim()
        {
            int state = Volatile.Read(ref _state);
            while (state != Claimed)
            {
                int seen = Interlocked.CompareExchange(ref _state, Claimed, state);
                if (seen == state)
                {
                    if (state == Armed)
                    {
                        Signal();
                    }

                    return true; // from Begun: the waiter finds it claimed when it arms and does not wait
                }

                state = seen;
            }

            return false;
        }

        public void ReleaseUnawaited() => Release();

        public ValueTaskSourceStatus GetStatus(short token)
        {
            ValidateToken(token);
            return Volatile.Read(ref _state) == Claimed ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;
        }

        public void GetResult(short token)
        {
            ValidateToken(token);
            Release(); // the send loop re-checks room, closing and its token itself
        }

        protected override void Arm()
        {
            RegisterCancellation();
            if (Interlocked.CompareExchange(ref _state, Armed, Begun) != Begun)
            {
                Signal(); // claimed before it was awaited
            }
        }

        protected override void OnCancellationRequested() => Claim();
    }
}
