using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

public sealed partial class LocalChannel<T>
{
    /// <summary>
    /// A waiting send or receive of a <see cref="LocalChannel{T}"/>. Pooled by the channel; every transition happens on
    /// the owner thread with plain reads and writes. Only a cancellation callback may run elsewhere, and it hands the
    /// cancel to the owner thread.
    /// </summary>
    /// <remarks>A raw task can be cancelled after its wait completed and before it runs again to take the outcome (a
    /// dropped future). So that such a task takes and sends nothing, it hears of the wait (<see cref="IAwaitedByTask"/>)
    /// and a cancel withdraws it: an item handed to a waiting receive goes back to the channel, and a waiting send of a
    /// raw task is only given room, its item entering when the task runs (<see cref="Finish"/>).</remarks>
    private sealed class LocalWait(LocalChannel<T> channel) : ChannelOperation, IValueTaskSource<T>, IValueTaskSource, IAwaitedByTask
    {
        private T _item = default!;
        private Outcome _outcome;
        private bool _isSend;
        private bool _roomReserved; // a send given room it has not filled yet (see the remarks)

        public enum Outcome : byte
        {
            Pending,
            Done,
            Closed,
            Canceled,
        }

        public LocalWait? Next { get; set; }

        public LocalWait? Previous { get; set; }

        public bool IsLinked { get; set; }

        public void Begin(T item, bool isSend, CancellationToken cancellationToken)
        {
            _item = item;
            _isSend = isSend;
            _outcome = Outcome.Pending;
            Begin(cancellationToken);
        }

        /// <summary>Recycles an abandoned wait (owner thread; local waits are signalled synchronously, so none is in flight).</summary>
        public void Discard()
        {
            _item = default!;
            _roomReserved = false;
            _outcome = Outcome.Canceled;
            ReleaseOnOwnerThread();
            channel.Return(this);
        }

        public T TakeItem()
        {
            T item = _item;
            _item = default!;
            return item;
        }

        public void CompleteWithItem(T item)
        {
            _item = item;
            Complete(Outcome.Done);
        }

        /// <summary>Ends a waiting send of a raw task by giving it room: its item enters the channel when the task runs.</summary>
        public void CompleteWithRoom()
        {
            _roomReserved = true;
            Complete(Outcome.Done);
        }

        /// <summary>Takes back the room given to a send that has not filled it, because the channel closed first: the
        /// send fails as closed (it is already signalled, so only the outcome changes).</summary>
        public void RevokeRoom()
        {
            _roomReserved = false;
            _item = default!;
            _outcome = Outcome.Closed;
        }

        /// <summary>Ends the wait (owner thread); wakes the waiter if it already awaits, else it wakes itself when it arms.</summary>
        public void Complete(Outcome outcome)
        {
            _outcome = outcome;
            SignalOnOwnerThread();
        }

        public ValueTaskSourceStatus GetStatus(short token)
        {
            ValidateToken(token);
            return _outcome switch
            {
                Outcome.Pending => ValueTaskSourceStatus.Pending,
                Outcome.Done => ValueTaskSourceStatus.Succeeded,
                Outcome.Closed => ValueTaskSourceStatus.Faulted,
                _ => ValueTaskSourceStatus.Canceled,
            };
        }

        T IValueTaskSource<T>.GetResult(short token) => Finish(token);

        void IValueTaskSource.GetResult(short token) => Finish(token);

        protected override void Arm()
        {
            channel.VerifyOwner();
            RegisteredWaker?.RememberAwaited(this); // before arming: a completed wait wakes the task at once
            ArmOnOwnerThread(); // the token may cancel at once, on this thread; a completed wait wakes itself here
        }

        /// <summary>The raw task of this wait was cancelled before it took the outcome: whatever the wait set aside
        /// goes back, so the task takes and sends nothing. Owner thread (after its executor stopped, the channel is
        /// gone with it).</summary>
        void IAwaitedByTask.Withdraw(LocalTask waiter)
        {
            if (!channel._owner.IsOwnerThread || !IsPending || !ReferenceEquals(RegisteredWaker, waiter))
            {
                return; // reclaimed and reused already, or nothing of the channel's is left to give back
            }

            if (_outcome == Outcome.Pending)
            {
                if (IsLinked)
                {
                    if (_isSend)
                    {
                        channel._senders.Remove(this);
                    }
                    else
                    {
                        channel._receivers.Remove(this);
                    }
                }
            }
            else if (_outcome == Outcome.Done)
            {
                if (!_isSend)
                {
                    channel.GiveBack(TakeItem()); // handed to this receive, never taken
                }
                else if (_roomReserved)
                {
                    _roomReserved = false;
                    channel.ReleaseRoom(this); // the item never entered: the room goes to the next sender
                }
            }

            Discard();
        }

        protected override void OnCancellationRequested()
        {
            short version = Version;
            if (channel._owner.IsOwnerThread)
            {
                CancelOnOwner(version);
            }
            else
            {
                // The lists belong to the owner thread: hand the cancel over. The version tells a late request from the
                // current wait once this instance serves another one.
                TaskQueue queue = channel._owner.DefaultQueue;
                queue.Executor.Post(queue, WorkKind.StateAction, (Action<object?>)(static state =>
                {
                    var (wait, version) = ((LocalWait, short))state!;
                    wait.CancelOnOwner(version);
                }), (this, version), null);
            }
        }

        private void CancelOnOwner(short version)
        {
            if (version != Version || !IsPending || _outcome != Outcome.Pending)
            {
                return; // completed (or reused) before the cancel arrived: the completion wins
            }

            if (IsLinked)
            {
                if (_isSend)
                {
                    channel._senders.Remove(this);
                }
                else
                {
                    channel._receivers.Remove(this);
                }
            }

            _item = default!;
            Complete(Outcome.Canceled);
        }

        private T Finish(short token)
        {
            ValidateToken(token);
            Outcome outcome = _outcome;
            if (outcome == Outcome.Pending)
            {
                throw new InvalidOperationException("The channel operation has not completed yet; await it instead.");
            }

            T item = TakeItem();
            if (_roomReserved)
            {
                // A raw task's send, given room while it waited: the item enters now that the task runs (its thread).
                _roomReserved = false;
                channel.FillRoom(this, item);
            }

            CancellationToken cancellationToken = CancellationToken;
            ReleaseOnOwnerThread(); // off the owner thread too: the instance is then dropped, never reused
            if (channel._owner.IsOwnerThread)
            {
                channel.Return(this); // off the owner thread (ConfigureAwait(false)) the instance is simply dropped
            }

            return outcome switch
            {
                Outcome.Done => item,
                Outcome.Closed => throw new ChannelClosedException(),
                _ => throw new OperationCanceledException(cancellationToken),
            };
        }
    }
}
