using System.Threading;

namespace ThreadPerCore.Channels;

// The sends waiting for room: a FIFO under the send lock, served in order by whichever thread frees room or closes.
internal partial struct MpscRing<T, TWait>
{
    /// <summary>What the wait list asks the serving thread to do next, outside the list's lock.</summary>
    private enum SendStep
    {
        /// <summary>Nothing: no send waits, or there is no room for the first.</summary>
        None,

        /// <summary>The first send got its position (its item published by the serving thread, or the position reserved
        /// for its waiter), or the ring closed: signal it.</summary>
        Signal,

        /// <summary>The first send was abandoned while it waited: drop it; its item is not sent.</summary>
        Drop,
    }

    /// <summary>The lock that guards the list of waiting sends; a wait's owner takes it to read or write what the serving
    /// thread reads of the wait (<see cref="IMpscSendWait{T, TWait}.ReservesRoom"/>, its link).</summary>
    public readonly object SendLock => _sendLock;

    /// <summary>
    /// Puts a send that found no room at the end of the wait list, then serves the list: a slot freed, or the close
    /// made, after the send's failed claim and before it was counted was not offered to it, and the serving (this very
    /// send's, if it is first) makes up for that. The send may be complete and signalled when this returns.
    /// </summary>
    public void EnqueueSendWait(TWait wait)
    {
        DropAbandonedLastWaits();
        lock (_sendLock)
        {
            _sendWaits.Add(wait);

            // A full fence between counting this wait and looking for room (below): the consumer frees a slot with a
            // full fence and then reads the count, so one of the two sees the other.
            Interlocked.Exchange(ref _positions.RoomWaitCount, _sendWaits.Count);
        }

        ServeWaitingSends();
    }

    /// <summary>Takes a waiting send out of the list (its token fired).</summary>
    /// <returns>False if it is no longer in the list: its item was sent (or the ring closed) and it is being signalled.</returns>
    public bool TryWithdrawSendWait(TWait wait)
    {
        lock (_sendLock)
        {
            if (!wait.IsLinked)
            {
                return false;
            }

            UnlinkLocked(wait);
            return true;
        }
    }

    /// <summary>
    /// The waiter of <paramref name="wait"/> gave up before it resumed (its raw task was cancelled): a send still in the
    /// list leaves it and is dropped; a send the ring served has its reserved position given up as a hole and is recycled
    /// while its signal may still be on its way. Either way its item is not sent, as its waiter reports. A wait that
    /// <paramref name="waiter"/> no longer owns (ended and reused already) is left alone.
    /// </summary>
    public void Withdraw(TWait wait, object waiter)
    {
        bool unlinked = false;
        long reserved = -1;
        lock (_sendLock)
        {
            if (!wait.IsAwaitedBy(waiter))
            {
                return;
            }

            if (wait.IsLinked)
            {
                UnlinkLocked(wait);
                unlinked = true;
            }
            else
            {
                reserved = wait.TakeReservation();
            }
        }

        if (unlinked)
        {
            wait.Drop();
        }
        else if (reserved >= 0)
        {
            PublishHole(reserved);
            wait.Recycle(signalMayBeOnItsWay: true); // served: the serving thread signals it after it let go of the lock
        }
    }

    /// <summary>Under <see cref="SendLock"/>: takes a linked wait out of the list and publishes the new count.</summary>
    private void UnlinkLocked(TWait wait)
    {
        _sendWaits.Remove(wait);
        Volatile.Write(ref _positions.RoomWaitCount, _sendWaits.Count);
    }

    /// <summary>
    /// Waits abandoned while they waited stay in the list (nothing tells the ring); a new wait first drops the abandoned
    /// ones at the end of the list, so a stream of abandoned sends holds nothing. Those at the head go when room comes
    /// (<see cref="NextSendStep"/>).
    /// </summary>
    private void DropAbandonedLastWaits()
    {
        while (true)
        {
            TWait? last;
            lock (_sendLock)
            {
                last = _sendWaits.Last;
                if (last is null || !last.IsAbandoned)
                {
                    return;
                }

                UnlinkLocked(last);
            }

            last.Drop();
        }
    }

    /// <summary>
    /// Gives room to the waiting sends, in order, while there is room: the serving thread (the consumer after it freed a
    /// slot, a send that just started waiting, a cancelled send giving its position up, or the close) claims each send's
    /// position, publishes its item there (or leaves that to the send's waiter, see
    /// <see cref="IMpscSendWait{T, TWait}.ReservesRoom"/>), then signals it. The publishing, signalling and dropping
    /// happen outside the lock, which guards only the list and is held for a few writes.
    /// </summary>
    private void ServeWaitingSends()
    {
        while (true)
        {
            TWait? wait;
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
    /// position is claimed here; its item is published by the caller, outside the lock, or, for a send that reserves
    /// room, by its waiter when it resumes.</summary>
    private SendStep NextSendStep(out TWait? wait, out long position, out T? item)
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
            step = SendStep.Drop; // its waiter gave up while it waited: like a dropped future, it sends nothing
        }
        else
        {
            MpscSendOutcome outcome = TryClaim(out long claimed);
            if (outcome == MpscSendOutcome.Full)
            {
                wait = null;
                return SendStep.None;
            }

            if (outcome == MpscSendOutcome.Sent && wait.ReservesRoom)
            {
                wait.Reserve(claimed);
            }
            else
            {
                if (outcome == MpscSendOutcome.Sent)
                {
                    position = claimed;
                    item = wait.Item;
                }

                wait.Complete(outcome);
            }

            step = SendStep.Signal;
        }

        UnlinkLocked(wait);
        return step;
    }

    /// <summary>A FIFO of waiting sends, linked through the waits themselves (no allocation, O(1) removal on cancel).
    /// Every member is used under the send lock.</summary>
    private struct SendWaitList
    {
        public TWait? First { get; private set; }

        public TWait? Last { get; private set; }

        public int Count { get; private set; }

        public void Add(TWait wait)
        {
            wait.Previous = Last;
            wait.Next = null;
            if (Last is null)
            {
                First = wait;
            }
            else
            {
                Last.Next = wait;
            }

            Last = wait;
            wait.IsLinked = true;
            Count++;
        }

        public void Remove(TWait wait)
        {
            if (wait.Previous is null)
            {
                First = wait.Next;
            }
            else
            {
                wait.Previous.Next = wait.Next;
            }

            if (wait.Next is null)
            {
                Last = wait.Previous;
            }
            else
            {
                wait.Next.Previous = wait.Previous;
            }

            wait.Previous = null;
            wait.Next = null;
            wait.IsLinked = false;
            Count--;
        }
    }
}
