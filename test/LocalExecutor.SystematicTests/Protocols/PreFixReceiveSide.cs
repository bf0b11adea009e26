using System.Threading;
using Microsoft.Coyote.Specifications;
using ThreadPerCore.Channels;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>How the pre-fix cancel callback's flag store reaches memory.</summary>
internal enum CancelStore
{
    /// <summary>At once (Coyote's interleavings are sequentially consistent): only defect 1 can show.</summary>
    Immediate,

    /// <summary>Through the cancelling thread's store buffer, as x86 (and ARM) let a plain store wait behind a later load
    /// to another location: <c>Volatile.Write</c> is a release, not a full fence. Defect 4.</summary>
    Buffered,

    /// <summary>With a full fence (<c>Interlocked.Exchange</c>): the store is in memory before the callback's next load.</summary>
    Fenced,
}

/// <summary>
/// The broken twin: the receiving side with the wait protocol as it was before issue 9 (ChannelOperation and
/// ReceiveOperation at commit b01b6ab), built on the same shipped <see cref="WaitingWord"/>.
/// <list type="bullet">
/// <item>Defect 1: <c>Signal</c> woke the waiter and only then published <c>_signaledVersion</c>, and a reclaim spun
/// until that version showed; a delayed signaller could publish an older version after a newer one.</item>
/// <item>Defect 4: the cancel callback wrote <c>_cancelRequested</c> with <c>Volatile.Write</c> and then read the
/// waiting word; <c>Arm</c> raised the flag and then read <c>_cancelRequested</c>. With the store buffered, both miss.</item>
/// </list>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "See ModelWaiter.")]
internal sealed class PreFixReceiveSide(EventLog log, CancelStore cancelStore, SemaphoreSlim settled) : IReceiveSideUnderTest
{
    private long _tailWord;
    private long _tail;
    private long _head;
    private ModelToken.Registration? _registration;
    private bool _pending;

    // ChannelOperation (pre-fix).
    private ModelWaiter? _waker;
    private short _version;
    private int _signaledVersion = -1;

    // ReceiveOperation (pre-fix).
    private readonly StoreBufferedCell _cancelRequested = new();
    private bool _canceled;

    // The reclaim's spin on _signaledVersion, modelled as a wait for each publication (the same observations, without
    // the millions of idle steps that would drown the exploration): a signaller releases it after each write.
    private readonly SemaphoreSlim _published = new(0, int.MaxValue);

    private int _reclaimWaitsFor = -1;

    /// <summary>Set while the reclaim waits for a version that has not been published: once no signaller is left, it
    /// never will be (the watcher asks only then).</summary>
    public string? BlockedBy
    {
        get
        {
            int awaited = _reclaimWaitsFor;
            int published = Volatile.Read(ref _signaledVersion);
            return awaited >= 0 && published != awaited
                ? $"the reclaim spins forever: it waits for version {awaited}, every signaller has finished and the published version is {published}"
                : null;
        }
    }

    public bool Publish()
    {
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
    }

    public void Close()
    {
        if (WaitingWord.Close(ref _tailWord, out bool receiverWaited) && receiverWaited)
        {
            log.Add("close took the flag");
            Signal();
        }
    }

    public ReceiveOutcome Receive(ModelWaiter waiter, ModelToken? token, bool abandon)
    {
        if (TryTake())
        {
            return ReceiveOutcome.Item;
        }

        if (_pending)
        {
            // TryReclaimAbandonedReceive: ReleaseAbandoned(signalInFlight: !TryStopWaitingForItem()).
            bool signalInFlight = !WaitingWord.TryWithdraw(ref _tailWord);
            log.Add($"reclaim of version {_version} ({(signalInFlight ? "flag taken: spins for its signal" : "withdrew the flag")})");
            if (signalInFlight)
            {
                while (Volatile.Read(ref _signaledVersion) != _version)
                {
                    _reclaimWaitsFor = _version;
                    settled.Release(); // lets the watcher look: is anybody left to publish it?
                    _published.Wait();
                    _reclaimWaitsFor = -1;
                }
            }

            Release();
        }

        if ((Volatile.Read(ref _tailWord) & SpscIndices.ClosedBit) != 0)
        {
            return TryTake() ? ReceiveOutcome.Item : ReceiveOutcome.Closed;
        }

        if (token?.IsCancellationRequested == true)
        {
            return ReceiveOutcome.Canceled;
        }

        // ReceiveOperation.Begin, RegisterWaker, Arm.
        _pending = true;
        _canceled = false;
        _cancelRequested.StoreImmediate(0);
        _waker = waiter;
        if (token is not null)
        {
            _registration = token.Register(OnCancellationRequested);
        }

        Arm();
        log.Add($"wait {waiter.Wait} armed at version {_version}");
        if (abandon)
        {
            waiter.Abandon();
            return ReceiveOutcome.Abandoned;
        }

        waiter.Suspend();
        if (_canceled)
        {
            Release();
            return ReceiveOutcome.Canceled;
        }

        if (TryTake())
        {
            Release();
            return ReceiveOutcome.Item;
        }

        if ((Volatile.Read(ref _tailWord) & SpscIndices.ClosedBit) != 0)
        {
            Release();
            return ReceiveOutcome.Closed;
        }

        Specification.Assert(false, "wait {0} was woken with neither an item, the close nor its cancellation. {1}", waiter.Wait, log);
        return ReceiveOutcome.Abandoned;
    }

    private void Arm()
    {
        if (!WaitingWord.TryRaise(ref _tailWord, _head))
        {
            Signal();
            return;
        }

        int cancelRequested = _cancelRequested.Load();
        log.Add($"Arm raised the flag, then read _cancelRequested = {cancelRequested}");
        if (cancelRequested != 0)
        {
            TryCancel(fromCallback: false);
        }
    }

    private void OnCancellationRequested()
    {
        switch (cancelStore)
        {
            case CancelStore.Buffered:
                _cancelRequested.StoreBuffered(1);
                log.Add("the callback stored _cancelRequested = 1 (into its store buffer)");
                break;
            case CancelStore.Fenced:
                _cancelRequested.StoreFenced(1);
                log.Add("the callback stored _cancelRequested = 1 (fenced)");
                break;
            default:
                _cancelRequested.StoreImmediate(1);
                log.Add("the callback stored _cancelRequested = 1");
                break;
        }

        TryCancel(fromCallback: true);

        // The callback's next locked instruction (the registration's and the token's bookkeeping) drains the buffer at
        // the latest; a drain at any earlier moment is one of the interleavings explored anyway.
        _cancelRequested.DrainBuffer();
        log.Add("the callback returned (its store buffer drained)");
    }

    private void TryCancel(bool fromCallback)
    {
        // TryStopWaitingForItem: a read of the word, and only if the bit is up a compare-and-swap, which (a locked
        // instruction) first drains the calling thread's store buffer.
        if ((Volatile.Read(ref _tailWord) & SpscIndices.WaitingBit) == 0)
        {
            log.Add((fromCallback ? "the callback" : "Arm") + " read the waiting word: no flag to withdraw");
            return;
        }

        if (fromCallback)
        {
            _cancelRequested.DrainBuffer();
        }

        if (WaitingWord.TryWithdraw(ref _tailWord))
        {
            log.Add("the cancel withdrew the flag");
            _canceled = true;
            Signal();
        }
    }

    /// <summary>ChannelOperation.Signal before the fix: wake first, publish the version after.</summary>
    private void Signal()
    {
        short version = _version;
        ModelWaiter? waker = _waker;
        waker!.Wake();
        Volatile.Write(ref _signaledVersion, version);
        log.Add($"version {version} published");
        _published.Release();
    }

    private void Release()
    {
        _registration?.Dispose();
        _registration = null;
        _waker = null;
        _version++;
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
}

/// <summary>
/// One int written by one thread and read by another, with the writer's store buffer modelled: a buffered store reaches
/// memory only when the writing thread drains it (its next locked instruction). Until then the other thread reads the
/// old value, even after the writer went on to load other locations: the store-to-load reordering x86-TSO allows (and
/// weaker models too), which an interleaving explorer alone never produces.
/// </summary>
internal sealed class StoreBufferedCell
{
    private int _memory;
    private int _buffered;
    private int _bufferedValue;

    public int Load() => Volatile.Read(ref _memory);

    public void StoreImmediate(int value) => Volatile.Write(ref _memory, value);

    public void StoreFenced(int value) => Interlocked.Exchange(ref _memory, value);

    public void StoreBuffered(int value)
    {
        _bufferedValue = value;
        Volatile.Write(ref _buffered, 1);
    }

    public void DrainBuffer()
    {
        if (Interlocked.Exchange(ref _buffered, 0) == 1)
        {
            Volatile.Write(ref _memory, _bufferedValue);
        }
    }
}
