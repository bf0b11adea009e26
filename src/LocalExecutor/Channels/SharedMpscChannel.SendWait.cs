using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

public sealed partial class SharedMpscChannel<T>
{
    /// <summary>
    /// A send waiting for room, holding its item. Pooled by the channel, linked into its FIFO of waiting sends
    /// (<see cref="SendWaitList"/>, guarded by the channel's send lock) until room comes, its token fires, or the channel
    /// closes. The raw task that awaits it registers its waker here, so the channel sees when that task was cancelled
    /// while it waited (<see cref="ChannelOperation.IsAbandoned"/>) and drops the send instead of delivering it.
    /// </summary>
    private sealed class SendWait(SharedMpscChannel<T> channel) : ChannelOperation, IValueTaskSource
    {
        private T _item = default!;
        private SendOutcome _outcome;

        public SendWait? Next { get; set; }

        public SendWait? Previous { get; set; }

        /// <summary>True while the wait is in the channel's list (under the send lock).</summary>
        public bool IsLinked { get; set; }

        public T Item => _item;

        public void Begin(T item, CancellationToken cancellationToken)
        {
            _item = item;
            _outcome = SendOutcome.Full;
            Begin(cancellationToken);
        }

        /// <summary>Records how the wait ended, under the send lock, before it is taken out of the list and signalled.</summary>
        public void Complete(SendOutcome outcome)
        {
            _outcome = outcome;
            _item = default!; // sent (the channel holds it now) or refused by the close
        }

        public ValueTaskSourceStatus GetStatus(short token)
        {
            ValidateToken(token);
            if (IsCanceled)
            {
                return ValueTaskSourceStatus.Canceled;
            }

            // Done only once signalled: the signal is the serving thread's last touch of this instance.
            if (!IsSignalled)
            {
                return ValueTaskSourceStatus.Pending;
            }

            return _outcome == SendOutcome.Sent ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Faulted;
        }

        public void GetResult(short token)
        {
            ValidateToken(token);
            if (!IsSignalled)
            {
                throw new InvalidOperationException("The send has not completed yet; await it instead.");
            }

            CancellationToken cancellationToken = CancellationToken;
            bool canceled = IsCanceled;
            SendOutcome outcome = _outcome;
            Finish();
            if (canceled)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            if (outcome == SendOutcome.Closed)
            {
                throw new ChannelClosedException();
            }
        }

        /// <summary>Recycles a wait whose raw task was cancelled while it waited; it was taken out of the list unsignalled,
        /// so no signal is on its way. Its item is not sent.</summary>
        public void Drop()
        {
            _item = default!;
            ReleaseAbandoned(withdrawn: true);
            channel.ReturnSendWait(this);
        }

        protected override void Arm() => ArmWith(new ListFlag(channel, this));

        protected override void OnCancellationRequested() => CancelWith(new ListFlag(channel, this));

        private void Finish()
        {
            _item = default!;
            Release();
            channel.ReturnSendWait(this);
        }
    }

    /// <summary>A waiting send is announced by being in the list (from <see cref="SendAsync"/> on); a cancel takes it out.</summary>
    private readonly struct ListFlag(SharedMpscChannel<T> channel, SendWait wait) : IWaitFlag
    {
        public bool TryRaise() => true; // in the list, or already ended and being signalled: either way a signal comes

        public bool TryWithdraw() => channel.TryWithdrawSendWait(wait);
    }

    /// <summary>A FIFO of waiting sends, linked through the waits themselves (no allocation, O(1) removal on cancel).
    /// Every member is used under the channel's send lock.</summary>
    private struct SendWaitList
    {
        public SendWait? First { get; private set; }

        public SendWait? Last { get; private set; }

        public int Count { get; private set; }

        public void Add(SendWait wait)
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

        public void Remove(SendWait wait)
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
