using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ThreadPerCore.Channels;

/// <summary>
/// A bounded channel from any number of producers (executors or other threads) to one consumer: a lock-free ring in
/// which producers claim slots with a compare-and-swap and publish them with a per-slot sequence number (Dmitry
/// Vyukov's bounded queue), and the consumer takes them in claim order. Items from one producer arrive in the order it
/// sent them.
/// </summary>
/// <remarks>
/// <para>A separate type from <see cref="SharedChannel{T}"/>, so the single-producer ring pays nothing for this one's
/// generality: a send here costs two atomic instructions (claim, publish) against one there.</para>
/// <para>Waiting works as in <see cref="SharedChannel{T}"/>: the consumer waits for an item, producers wait for room,
/// each is woken through its own executor and only if it really waits. Any number of sends may wait at once, in a FIFO:
/// a freed slot goes to the first waiting send, then that send is woken. A send whose raw task is cancelled while it
/// waits is dropped (its item is not sent), as is one whose token fires, and one cancelled after it got room but before
/// its task resumed (the position is reserved, and the task writes its item itself); a cancelled wait leaves the list at
/// once. Nothing is allocated in the steady state (waits are pooled).</para>
/// <para>The consumer side is bound to the executor that first receives, like <see cref="SharedChannel{T}"/>'s.
/// <see cref="Close"/> stops sends; the consumer drains what was sent before, then gets
/// <see cref="ChannelClosedException"/>.</para>
/// </remarks>
/// <typeparam name="T">The type of the items.</typeparam>
[DebuggerDisplay("Count = {Count}, Capacity = {Capacity}, Closed = {IsClosed}")]
public sealed partial class SharedMpscChannel<T>
{
    private readonly ReceiveOperation<T> _receive;
    private readonly ConcurrentQueue<SendWait> _freeSendWaits = new();
    private object? _receiverBinding;
    private MpscRing<T, SendWait> _ring; // the protocol; a mutable struct, never copied

    /// <summary>Creates a channel.</summary>
    /// <param name="capacity">The least number of items it holds, at least 2; rounded up to a power of two (see
    /// <see cref="Capacity"/>), which the slot sequence numbers need.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 2 or above 2^30.</exception>
    public SharedMpscChannel(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 30);
        _receive = new ReceiveOperation<T>(this);
        _ring = new MpscRing<T, SendWait>(capacity, _receive);
    }

    /// <summary>The most items the channel holds (the requested capacity rounded up to a power of two).</summary>
    public int Capacity => _ring.Capacity;

    /// <summary>How many items are claimed or in the channel (a snapshot).</summary>
    public int Count => _ring.Count;

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed => _ring.IsClosed;

    /// <summary>True while the receive waits for an item (for tests and debuggers).</summary>
    internal bool IsReceiverWaiting => _ring.IsReceiverWaiting;

    /// <summary>How many sends wait for room (for tests and debuggers).</summary>
    internal int WaitingSenders => _ring.WaitingSends;

    /// <summary>
    /// Closes the channel: later sends and sends waiting for room throw <see cref="ChannelClosedException"/>; the
    /// receiver gets every item sent before, then <see cref="ChannelClosedException"/>. Any thread may call it.
    /// </summary>
    /// <returns>True if this call closed the channel.</returns>
    public bool Close() => _ring.Close();

    /// <summary>Receives every item until the channel is closed and drained; the enumeration then ends.</summary>
    /// <param name="cancellationToken">Stops the enumeration with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The items.</returns>
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
                next = await ReceiveAsync(cancellationToken).ConfigureAwait(true); // the consumer side is bound to its executor
            }
            catch (ChannelClosedException)
            {
                yield break;
            }

            yield return next;
        }
    }
}
