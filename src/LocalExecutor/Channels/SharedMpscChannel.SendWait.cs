using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

public sealed partial class SharedMpscChannel<T>
{
    /// <summary>
    /// A send waiting for room, holding its item. Pooled by the channel, linked into the ring's FIFO of waiting sends
    /// (guarded by <see cref="MpscRing{T, TWait}.SendLock"/>) until room comes, its token fires, or the channel closes.
    /// The raw task that awaits it registers its waker here, so the channel sees when that task was cancelled while it
    /// waited (<see cref="ChannelOperation.IsAbandoned"/>) and drops the send instead of delivering it.
    /// </summary>
    /// <remarks>
    /// A raw task may be cancelled after its send got room and before it resumes, like a Rust future dropped after it was
    /// woken; a send it never saw complete must not be delivered, or a retry would deliver the item twice. So for a send a
    /// raw task awaits, the serving thread only claims a position and reserves it (<see cref="Reserve"/>); the task writes
    /// its item there itself when it resumes (<see cref="GetResult"/>), and a cancel before then publishes the position
    /// as a hole the consumer skips (<see cref="IAwaitedByTask.Withdraw"/>). The task registers under the send lock, so
    /// the serving thread sees it (<see cref="ReservesRoom"/>); a send served before its task registered has its outcome
    /// already, and the task resumes in the same poll (<see cref="LocalTask.TryResumeInThisPoll"/>), leaving no moment
    /// in which a cancel could hide that outcome. A send awaited any other way cannot be cancelled like that: the serving
    /// thread publishes its item at once.
    /// </remarks>
    private sealed class SendWait(SharedMpscChannel<T> channel) : ChannelOperation, IValueTaskSource, IAwaitedByTask, IMpscSendWait<T, SendWait>
    {
        private T _item = default!;
        private MpscSendOutcome _outcome;
        private long _reservedPosition = -1;
        private bool _servedBeforeArm;

        public SendWait? Next { get; set; }

        public SendWait? Previous { get; set; }

        /// <summary>True while the wait is in the channel's list (under the send lock).</summary>
        public bool IsLinked { get; set; }

        bool IMpscSendWait<T, SendWait>.IsAbandoned => IsAbandoned;

        /// <summary>True once a raw task registered for this wait while it was in the list: room for it is reserved, not
        /// filled by the serving thread. Under the send lock.</summary>
        public bool ReservesRoom { get; private set; }

        public T Item => _item;

        public void Begin(T item, CancellationToken cancellationToken)
        {
            _item = item;
            _outcome = MpscSendOutcome.Full;
            _reservedPosition = -1;
            _servedBeforeArm = false;
            ReservesRoom = false;
            Begin(cancellationToken);
        }

        /// <summary>Records how the wait ended, under the send lock, before it is taken out of the list and signalled.</summary>
        public void Complete(MpscSendOutcome outcome)
        {
            _outcome = outcome;
            _item = default!; // sent (the serving thread publishes it) or refused by the close
        }

        /// <summary>Under the send lock: <paramref name="position"/> is claimed for this send's item, which its raw task
        /// publishes when it resumes.</summary>
        public void Reserve(long position)
        {
            _outcome = MpscSendOutcome.Sent;
            _reservedPosition = position;
        }

        public ValueTaskSourceStatus GetStatus(short token)
        {
            ValidateToken(token);
            if (IsCanceled)
            {
                return ValueTaskSourceStatus.Canceled;
            }

            // Done only once signalled (the signal is the serving thread's last touch of this instance), or once served
            // before its raw task registered (the signal then finds nobody to wake; see GetResult).
            if (!IsSignalled && !_servedBeforeArm)
            {
                return ValueTaskSourceStatus.Pending;
            }

            return _outcome == MpscSendOutcome.Sent ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Faulted;
        }

        public void GetResult(short token)
        {
            ValidateToken(token);
            if (!IsSignalled && !_servedBeforeArm)
            {
                throw new InvalidOperationException("The send has not completed yet; await it instead.");
            }

            CancellationToken cancellationToken = CancellationToken;
            bool canceled = IsCanceled;
            MpscSendOutcome outcome = _outcome;
            long reserved = _reservedPosition;
            if (reserved >= 0)
            {
                // The position claimed for this send while it waited: its item goes in now, as the send completes here.
                _reservedPosition = -1;
                channel._ring.Publish(reserved, _item);
            }

            Recycle(signalMayBeOnItsWay: _servedBeforeArm);
            if (canceled)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            if (outcome == MpscSendOutcome.Closed)
            {
                throw new ChannelClosedException();
            }
        }

        /// <summary>Recycles a wait whose raw task was cancelled while it waited; it was taken out of the list unsignalled,
        /// so no signal is on its way. Its item is not sent.</summary>
        public void Drop() => Recycle(signalMayBeOnItsWay: false);

        /// <summary>The raw task awaiting this send was cancelled before it resumed (see
        /// <see cref="MpscRing{T, TWait}.Withdraw"/>). On the task's thread, or on the thread that ended it after its
        /// executor stopped.</summary>
        void IAwaitedByTask.Withdraw(LocalTask waiter) => channel._ring.Withdraw(this, waiter);

        /// <summary>Under the send lock.</summary>
        bool IMpscSendWait<T, SendWait>.IsAwaitedBy(object waiter) => ReferenceEquals(RegisteredWaker, waiter);

        /// <summary>Under the send lock.</summary>
        long IMpscSendWait<T, SendWait>.TakeReservation()
        {
            long reserved = _reservedPosition;
            _reservedPosition = -1;
            return reserved;
        }

        protected override void Arm()
        {
            if (RegisteredWaker is { } task)
            {
                bool linked;
                lock (channel._ring.SendLock)
                {
                    linked = IsLinked;
                    ReservesRoom = linked;
                }

                if (!linked && task.TryResumeInThisPoll())
                {
                    // Served between the task's look at the send and its registration: the outcome is there, so the
                    // task goes on in this very poll, and no cancel can come between the send and the task seeing it.
                    // Not armed: the serving thread's signal finds nobody to wake.
                    _servedBeforeArm = true;
                    return;
                }

                task.RememberAwaited(this); // a cancel before the task resumes withdraws the send (see Withdraw)
            }

            ArmWith(new ListFlag(channel, this));
        }

        protected override void OnCancellationRequested() => CancelWith(new ListFlag(channel, this));

        /// <summary>Ends the wait and returns the instance to the channel's pool; its item is not kept.</summary>
        /// <param name="signalMayBeOnItsWay">True when a serving thread took the wait and its signal may not have arrived:
        /// it is then paid off on arrival instead of waking the next wait.</param>
        public void Recycle(bool signalMayBeOnItsWay)
        {
            _item = default!;
            if (signalMayBeOnItsWay)
            {
                ReleaseBeforeSignal();
            }
            else
            {
                Release();
            }

            channel.ReturnSendWait(this);
        }
    }

    /// <summary>A waiting send is announced by being in the list (from <see cref="SendAsync"/> on); a cancel takes it out.</summary>
    private readonly struct ListFlag(SharedMpscChannel<T> channel, SendWait wait) : IWaitFlag
    {
        public bool TryRaise() => true; // in the list, or already ended and being signalled: either way a signal comes

        public bool TryWithdraw() => channel._ring.TryWithdrawSendWait(wait);
    }
}
