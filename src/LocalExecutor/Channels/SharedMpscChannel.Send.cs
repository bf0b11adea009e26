using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

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

    /// <summary>What the wait list asks the serving thread to do next, outside the list's lock.</summary>
    private enum SendStep
    {
        /// <summary>Nothing: no send waits, or there is no room for the first.</summary>
        None,

        /// <summary>The first send got its position (its item published by the serving thread, or the position reserved
        /// for its raw task), or the channel closed: signal it.</summary>
        Signal,

        /// <summary>The first send belongs to a raw task cancelled while it waited: recycle it; its item is not sent.</summary>
        Drop,
    }

    /// <summary>Sends <paramref name="item"/> if there is room, without waiting. Any thread may call it.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False if the channel is full or closed.</returns>
    public bool TrySend(T item) => TrySendCore(item) == SendOutcome.Sent;

    /// <summary>Sends <paramref name="item"/>, waiting while the channel is full. Any thread may call it, and several
    /// sends may wait at once; they get room in the order they started waiting.</summary>
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
            _ => SendSlow(item, cancellationToken),
        };
    }

    private ValueTask SendSlow(T item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        SendWait wait = RentSendWait();
        wait.Begin(item, cancellationToken);
        short version = wait.Version;
        EnqueueSendWait(wait); // may complete it at once: the await then finds it done
        return new ValueTask(wait, version);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SendOutcome TrySendCore(T item)
    {
        SendOutcome outcome = TryClaim(out long position);
        if (outcome == SendOutcome.Sent)
        {
            Publish(position, item);
        }

        return outcome;
    }

    /// <summary>Claims the next position, if its slot is free and the channel open; writes nothing in it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SendOutcome TryClaim(out long position)
    {
        long word = Volatile.Read(ref _positions.EnqueueWord);
        while (true)
        {
            if ((word & ClosedBit) != 0)
            {
                position = -1;
                return SendOutcome.Closed;
            }

            position = word >> 1;
            long sequence = Volatile.Read(ref _slots[(int)position & _mask].Sequence);
            if (sequence == position)
            {
                // Free slot for this position: claim it. Fails if another producer claimed it, or the channel closed.
                long seen = Interlocked.CompareExchange(ref _positions.EnqueueWord, (position + 1) << 1, word);
                if (seen == word)
                {
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

    /// <summary>Writes <paramref name="item"/> at the claimed <paramref name="position"/> and publishes it, then wakes the
    /// receiver if it waits for it. Any thread; producers publish out of claim order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Publish(long position, T item)
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
    private void PublishHole(long position)
    {
        Interlocked.Exchange(ref _slots[(int)position & _mask].Sequence, position + _slots.Length);
        if (Volatile.Read(ref _positions.RoomWaitCount) > 0)
        {
            ServeWaitingSends();
        }

        WakeReceiverIfReady();
    }

    /// <summary>Puts a send that found no room at the end of the wait list, then looks for room again: a slot freed
    /// before the send was counted was not offered to it.</summary>
    private void EnqueueSendWait(SendWait wait)
    {
        DropAbandonedLastWaits();
        bool closed;
        lock (_sendLock)
        {
            closed = IsClosed;
            if (closed)
            {
                wait.Complete(SendOutcome.Closed);
            }
            else
            {
                _sendWaits.Add(wait);

                // A full fence between counting this wait and looking for room (below): the consumer frees a slot with a
                // full fence and then reads the count, so one of the two sees the other.
                Interlocked.Exchange(ref _positions.RoomWaitCount, _sendWaits.Count);
            }
        }

        if (closed)
        {
            wait.Signal();
        }
        else
        {
            ServeWaitingSends();
        }
    }

    /// <summary>
    /// Raw tasks cancelled while their sends waited leave those waits in the list (no callback tells the channel); a
    /// new wait first drops the abandoned ones at the end of the list, so a stream of cancelled sends holds nothing.
    /// Those at the head go when room comes (<see cref="NextSendStep"/>).
    /// </summary>
    private void DropAbandonedLastWaits()
    {
        while (true)
        {
            SendWait? last;
            lock (_sendLock)
            {
                last = _sendWaits.Last;
                if (last is null || !last.IsAbandoned)
                {
                    return;
                }

                Unlink(last);
            }

            last.Drop();
        }
    }

    /// <summary>
    /// Gives room to the waiting sends, in order, while there is room: the serving thread (the consumer after it freed a
    /// slot, a send that just started waiting, or a cancelled send giving its position up) claims each send's position,
    /// publishes its item there (or leaves that to the send's raw task, see <see cref="SendWait"/>), then signals it. The
    /// publishing, signalling and recycling happen outside the lock, which guards only the list and is held for a few
    /// writes.
    /// </summary>
    private void ServeWaitingSends()
    {
        while (true)
        {
            SendWait? wait;
            SendStep step;
            long position;
            T? item;
            lock (_sendLock)
            {
                step = NextSendStep(out wait, out position, out item);
            }

            switch (step)
            {
                case SendStep.None:
                    return;
                case SendStep.Drop:
                    wait!.Drop();
                    break;
                default:
                    if (position >= 0)
                    {
                        Publish(position, item!);
                    }

                    wait!.Signal();
                    break;
            }
        }
    }

    /// <summary>Under the lock: ends the first waiting send if it can end now (see <see cref="SendStep"/>). A send's
    /// position is claimed here; its item is published by the caller, outside the lock, or, for a send a raw task
    /// awaits, by that task itself when it resumes (<see cref="SendWait.Reserve"/>).</summary>
    private SendStep NextSendStep(out SendWait? wait, out long position, out T? item)
    {
        position = -1;
        item = default;
        wait = _sendWaits.First;
        if (wait is null)
        {
            return SendStep.None;
        }

        SendStep step;
        if (wait.IsAbandoned)
        {
            step = SendStep.Drop; // its raw task was cancelled while it waited: like a dropped future, it sends nothing
        }
        else
        {
            SendOutcome outcome = TryClaim(out long claimed);
            if (outcome == SendOutcome.Full)
            {
                wait = null;
                return SendStep.None;
            }

            if (outcome == SendOutcome.Sent && wait.ReservesRoom)
            {
                wait.Reserve(claimed);
            }
            else
            {
                if (outcome == SendOutcome.Sent)
                {
                    position = claimed;
                    item = wait.Item;
                }

                wait.Complete(outcome);
            }

            step = SendStep.Signal;
        }

        Unlink(wait);
        return step;
    }

    /// <summary>Takes a waiting send out of the list (its token fired).</summary>
    /// <returns>False if it is no longer in the list: its item was sent (or the channel closed) and it is being signalled.</returns>
    private bool TryWithdrawSendWait(SendWait wait)
    {
        lock (_sendLock)
        {
            if (!wait.IsLinked)
            {
                return false;
            }

            Unlink(wait);
            return true;
        }
    }

    /// <summary>Under the send lock: takes a linked wait out of the list and publishes the new count.</summary>
    private void Unlink(SendWait wait)
    {
        _sendWaits.Remove(wait);
        Volatile.Write(ref _positions.RoomWaitCount, _sendWaits.Count);
    }

    private SendWait RentSendWait() => _freeSendWaits.TryDequeue(out SendWait? wait) ? wait : new SendWait(this);

    private void ReturnSendWait(SendWait wait) => _freeSendWaits.Enqueue(wait);
}
