using System.Threading;
using Microsoft.Coyote.Specifications;
using ThreadPerCore.Channels;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// The receiving side of <c>SharedChannel</c> built from the shipped protocol files: <see cref="WaitingWord"/> for the
/// producer's published word and <see cref="WaitState{TWaiter}"/> for the reusable wait. The glue mirrors the library
/// line for line (named in each comment); only the ring's items are left out (the positions are the items).
/// </summary>
internal sealed class ShippedReceiveSide(EventLog log) : IReceiveSideUnderTest
{
    private long _tailWord;   // SpscIndices.TailWord: the producer's position, the consumer's waiting bit, the closed bit
    private long _tail;       // SpscIndices.TailPosition (producer only)
    private long _head;       // SpscIndices.HeadPosition (consumer only)
    private WaitState<ModelWaiterSlot> _wait;
    private ModelToken.Registration? _registration;
    private bool _pending;    // ChannelOperation.IsPending

    /// <summary>Never: the shipped reclaim does not wait.</summary>
    public string? BlockedBy => null;

    /// <summary>SharedChannel.TrySendCore and PublishTailSlow.</summary>
    public bool Publish()
    {
        long tail = _tail;
        long expected = tail << SpscIndices.FlagBits;
        long seen = Interlocked.CompareExchange(ref _tailWord, (tail + 1) << SpscIndices.FlagBits, expected);
        if (seen != expected)
        {
            if (!WaitingWord.TryPublish(ref _tailWord, tail + 1, seen, refuseWhenClosed: true, out bool receiverWaited))
            {
                return false;
            }

            if (receiverWaited)
            {
                log.Add($"producer took the flag with item {tail + 1}");
                Signal();
            }
        }

        _tail = tail + 1;
        return true;
    }

    /// <summary>SharedChannel.Close (the receiving side's word).</summary>
    public void Close()
    {
        if (WaitingWord.Close(ref _tailWord, out bool receiverWaited) && receiverWaited)
        {
            log.Add("close took the flag");
            Signal();
        }
    }

    /// <summary>SharedChannel.ReceiveAsync, ReceiveSlow, TryReclaimAbandonedReceive; ReceiveOperation.GetResult.</summary>
    public ReceiveOutcome Receive(ModelWaiter waiter, ModelToken? token, bool abandon)
    {
        if (TryTake())
        {
            return ReceiveOutcome.Item;
        }

        if (_pending)
        {
            // The previous receive was abandoned (its waiter never took the result): reclaim it, without waiting.
            bool withdrawn = WaitingWord.TryWithdraw(ref _tailWord);
            log.Add($"reclaim ({(withdrawn ? "withdrew the flag" : "flag taken: its signal is owed")})");
            Release(signalDue: !withdrawn);
        }

        if ((Volatile.Read(ref _tailWord) & SpscIndices.ClosedBit) != 0)
        {
            return TryTake() ? ReceiveOutcome.Item : ReceiveOutcome.Closed;
        }

        if (token?.IsCancellationRequested == true)
        {
            return ReceiveOutcome.Canceled;
        }

        // ChannelOperation.Begin, then RegisterWaker and ArmWith.
        _pending = true;
        _wait.Waiter.Task = waiter;
        if (token is not null)
        {
            _registration = token.Register(OnCancellationRequested);
        }

        if (_wait.Arm(new TailFlag(this), out ModelWaiterSlot now))
        {
            now.Task!.Wake();
        }

        log.Add($"wait {waiter.Wait} armed");
        if (abandon)
        {
            waiter.Abandon();
            return ReceiveOutcome.Abandoned;
        }

        waiter.Suspend();

        // ReceiveOperation.GetResult.
        if (_wait.IsCanceled)
        {
            Release(signalDue: false);
            return ReceiveOutcome.Canceled;
        }

        if (TryTake())
        {
            Release(signalDue: false);
            return ReceiveOutcome.Item;
        }

        if ((Volatile.Read(ref _tailWord) & SpscIndices.ClosedBit) != 0)
        {
            Release(signalDue: false);
            return ReceiveOutcome.Closed;
        }

        Specification.Assert(false, "wait {0} was woken with neither an item, the close nor its cancellation. {1}", waiter.Wait, log);
        return ReceiveOutcome.Abandoned;
    }

    /// <summary>ChannelOperation.Signal.</summary>
    private void Signal()
    {
        if (_wait.Signal(out ModelWaiterSlot woken))
        {
            woken.Task!.Wake();
        }
    }

    /// <summary>ReceiveOperation.OnCancellationRequested and ChannelOperation.CancelWith.</summary>
    private void OnCancellationRequested()
    {
        if (_wait.Cancel(new TailFlag(this), out ModelWaiterSlot woken))
        {
            woken.Task!.Wake();
        }
    }

    /// <summary>ChannelOperation.Release: the registration first (it waits for a running callback), then the word.</summary>
    private void Release(bool signalDue)
    {
        _registration?.Dispose();
        _registration = null;
        _wait.Release(signalDue);
        _pending = false;
    }

    private bool TryTake()
    {
        if ((Volatile.Read(ref _tailWord) >> SpscIndices.FlagBits) == _head)
        {
            return false;
        }

        _head++;
        return true;
    }

    /// <summary>SharedChannel.TryWaitForItem and TryStopWaitingForItem.</summary>
    private readonly struct TailFlag(ShippedReceiveSide side) : IWaitFlag
    {
        public bool TryRaise() => WaitingWord.TryRaise(ref side._tailWord, side._head);

        public bool TryWithdraw() => WaitingWord.TryWithdraw(ref side._tailWord);
    }
}
