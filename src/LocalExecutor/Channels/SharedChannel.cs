using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ThreadPerCore.Channels;

/// <summary>
/// A bounded channel from one producer to one consumer on different cores (Glommio's <c>shared_channel</c>): a
/// lock-free ring with async send and receive. A send waits while the channel is full and a receive while it is
/// empty; the side that makes progress wakes the other only if it really waits, through the waiter's own executor
/// (its inbox and parker), so a parked core is never spun on.
/// </summary>
/// <remarks>
/// <para><b>One producer, one consumer.</b> Each side is bound to the executor that first uses it (or to "no executor"
/// when first used off any executor thread); using a side from another executor afterwards throws
/// <see cref="InvalidOperationException"/>. At most one send and one receive may be pending at a time. For several producers use
/// <see cref="SharedMpscChannel{T}"/>.</para>
/// <para><b>Cost.</b> A send or receive that does not wait is one compare-and-swap on a word the other side reads, and
/// touches the other side's cache line only when its cached view says the ring is full (send) or empty (receive).
/// Nothing is allocated after construction, waiting included (a wait with a cancellable token registers with
/// that token).</para>
/// <para><b>Close.</b> <see cref="Close"/> (from either side or any thread) stops sends at once: a waiting send and every
/// later send throw <see cref="ChannelClosedException"/>. Receives drain the items sent before the close, then throw
/// <see cref="ChannelClosedException"/> (<see cref="ReadAllAsync"/> simply ends).</para>
/// </remarks>
/// <typeparam name="T">The type of the items.</typeparam>
[DebuggerDisplay("Count = {Count}, Capacity = {Capacity}, Closed = {IsClosed}")]
public sealed partial class SharedChannel<T>
{
    private readonly T[] _buffer;
    private readonly int _mask;
    private readonly int _capacity;
    private readonly ReceiveOperation<T> _receive;
    private readonly SendOperation _send;
    private object? _senderBinding;
    private object? _receiverBinding;
    private SpscIndices _indices;

    /// <summary>Creates a channel that holds at most <paramref name="capacity"/> items.</summary>
    /// <param name="capacity">How many items may be in flight, at least 1. The ring is rounded up to a power of two
    /// internally; the bound stays <paramref name="capacity"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1 or above 2^30.</exception>
    public SharedChannel(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 30);
        _capacity = capacity;
        _buffer = new T[BitOperations.RoundUpToPowerOf2((uint)capacity)];
        _mask = _buffer.Length - 1;
        _receive = new ReceiveOperation<T>(this);
        _send = new SendOperation(this);
    }

    /// <summary>The most items the channel holds.</summary>
    public int Capacity => _capacity;

    /// <summary>How many items are in the channel (a snapshot).</summary>
    public int Count
    {
        get
        {
            long head = Volatile.Read(ref _indices.HeadWord) >> SpscIndices.FlagBits;
            long tail = Volatile.Read(ref _indices.TailWord) >> SpscIndices.FlagBits;
            return (int)Math.Clamp(tail - head, 0, _capacity);
        }
    }

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed => (Volatile.Read(ref _indices.TailWord) & SpscIndices.ClosedBit) != 0;

    /// <summary>
    /// Closes the channel: later sends, and a send waiting for room, throw <see cref="ChannelClosedException"/>;
    /// receives get the items already sent, then <see cref="ChannelClosedException"/>. Any thread may call it.
    /// </summary>
    /// <returns>True if this call closed the channel; false if it was already closed.</returns>
    public bool Close()
    {
        bool closedNow = false;
        if (WaitingWord.Close(ref _indices.TailWord, out bool receiverWaited))
        {
            closedNow = true;
            if (receiverWaited)
            {
                _receive.Signal();
            }
        }

        if (WaitingWord.Close(ref _indices.HeadWord, out bool senderWaited) && senderWaited)
        {
            _send.Signal();
        }

        return closedNow;
    }

    /// <summary>Receives every item until the channel is closed and drained; the enumeration then ends.</summary>
    /// <param name="cancellationToken">Stops the enumeration with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The items, in the order they were sent.</returns>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            while (TryReceive(out T item))
            {
                yield return item;
            }

            T next;
            try
            {
                // Resume on the consumer's own executor: this side is bound to it.
                next = await ReceiveAsync(cancellationToken).ConfigureAwait(true);
            }
            catch (ChannelClosedException)
            {
                yield break;
            }

            yield return next;
        }
    }

    /// <summary>True while a receive waits for an item (for tests and debuggers).</summary>
    internal bool IsReceiverWaiting => (Volatile.Read(ref _indices.TailWord) & SpscIndices.WaitingBit) != 0;

    /// <summary>True when the waiting receive will wake an <c>async LocalTask</c> method's task directly (for tests).</summary>
    internal bool ReceiverWaitsOnWaker => _receive.IsWakerRegistered;

    /// <summary>True while a send waits for room (for tests and debuggers).</summary>
    internal bool IsSenderWaiting => (Volatile.Read(ref _indices.HeadWord) & SpscIndices.WaitingBit) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckBinding(ref object? binding, string side) =>
        ExecutorBinding.Check(ref binding, side, "A SharedChannel has one producer and one consumer; use SharedMpscChannel for several producers.");
}
