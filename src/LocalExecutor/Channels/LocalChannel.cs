using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ThreadPerCore.Channels;

/// <summary>
/// A bounded channel between tasks of one executor (Glommio's <c>local_channel</c>): any number of senders and
/// receivers, all on the executor's thread. No locks and no atomic instructions: every member runs on the owner thread
/// and checks that it does. A send waits while the channel is full, a receive while it is empty; waiters are served
/// first come, first served, and an item sent to a waiting receiver goes straight to it.
/// </summary>
/// <remarks>
/// Waking a waiter is a wake by reference (an <c>async LocalTask</c> method) or a post to the executor's own run queue
/// (an <c>async Task</c> method): the same thread, no inbox. Wait operations are pooled, so the steady state allocates
/// nothing. <see cref="Close"/> makes waiting and later sends throw <see cref="ChannelClosedException"/>; receives drain
/// what was sent before, then throw it.
/// </remarks>
/// <typeparam name="T">The type of the items.</typeparam>
[DebuggerDisplay("Count = {_count}, Capacity = {_capacity}, Closed = {_closed}")]
public sealed partial class LocalChannel<T>
{
    private readonly LocalExecutor _owner;
    private readonly int _capacity;
    private T[] _ring; // at least _capacity long; longer only after items came back from cancelled receives
    private int _head;
    private int _count;
    private int _reserved; // room given to raw tasks' sends whose items have not entered yet
    private bool _closed;
    private WaitList _receivers;
    private WaitList _senders;
    private WaitList _roomGiven; // the sends holding that room, so a close can take it back
    private LocalWait? _free;

    /// <summary>Creates a channel owned by the executor of the calling thread.</summary>
    /// <param name="capacity">How many items it holds, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The calling thread is not an executor thread.</exception>
    public LocalChannel(int capacity)
        : this(LocalExecutor.Current ?? throw new InvalidOperationException(
            "A LocalChannel belongs to one executor: create it on the executor's thread or pass the executor."), capacity)
    {
    }

    /// <summary>Creates a channel owned by <paramref name="owner"/>; it may be used only on that executor's thread.</summary>
    /// <param name="owner">The executor whose tasks use the channel.</param>
    /// <param name="capacity">How many items it holds, at least 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="owner"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public LocalChannel(LocalExecutor owner, int capacity)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _owner = owner;
        _capacity = capacity;
        _ring = new T[capacity];
    }

    /// <summary>The executor whose thread may use the channel.</summary>
    public LocalExecutor Owner => _owner;

    /// <summary>The most items the channel holds.</summary>
    public int Capacity => _capacity;

    /// <summary>How many items are in the channel.</summary>
    /// <exception cref="InvalidOperationException">Called off the owner's thread.</exception>
    public int Count
    {
        get
        {
            VerifyOwner();
            return _count;
        }
    }

    /// <summary>True once <see cref="Close"/> was called.</summary>
    /// <exception cref="InvalidOperationException">Called off the owner's thread.</exception>
    public bool IsClosed
    {
        get
        {
            VerifyOwner();
            return _closed;
        }
    }

    /// <summary>Sends <paramref name="item"/> without waiting: to the longest-waiting receiver, else into the channel.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False if the channel is full or closed.</returns>
    /// <exception cref="InvalidOperationException">Called off the owner's thread.</exception>
    public bool TrySend(T item)
    {
        VerifyOwner();
        return !_closed && TrySendCore(item);
    }

    /// <summary>Sends <paramref name="item"/>, waiting while the channel is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels a wait; the item is then not sent.</param>
    /// <returns>A task that completes when the item was delivered or queued.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed or closes while the send waits.</exception>
    /// <exception cref="InvalidOperationException">Called off the owner's thread.</exception>
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default)
    {
        VerifyOwner();
        if (_closed)
        {
            return ValueTask.FromException(new ChannelClosedException());
        }

        if (TrySendCore(item))
        {
            return default;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        LocalWait wait = Rent();
        wait.Begin(item, isSend: true, cancellationToken);
        _senders.Add(wait);
        return new ValueTask(wait, wait.Version);
    }

    /// <summary>Receives an item without waiting.</summary>
    /// <param name="item">The item, or default.</param>
    /// <returns>False if the channel is empty.</returns>
    /// <exception cref="InvalidOperationException">Called off the owner's thread.</exception>
    public bool TryReceive(out T item)
    {
        VerifyOwner();
        return TryReceiveCore(out item);
    }

    /// <summary>Receives the next item, waiting while the channel is empty.</summary>
    /// <param name="cancellationToken">Cancels a wait; no item is taken then.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed and empty.</exception>
    /// <exception cref="InvalidOperationException">Called off the owner's thread.</exception>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        VerifyOwner();
        if (TryReceiveCore(out T item))
        {
            return new ValueTask<T>(item);
        }

        if (_closed)
        {
            return ValueTask.FromException<T>(new ChannelClosedException());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        LocalWait wait = Rent();
        wait.Begin(default!, isSend: false, cancellationToken);
        _receivers.Add(wait);
        return new ValueTask<T>(wait, wait.Version);
    }

    /// <summary>
    /// Closes the channel: waiting and later sends throw <see cref="ChannelClosedException"/>; receives get the items
    /// already in the channel, then throw it.
    /// </summary>
    /// <returns>True if this call closed the channel.</returns>
    /// <exception cref="InvalidOperationException">Called off the owner's thread.</exception>
    public bool Close()
    {
        VerifyOwner();
        if (_closed)
        {
            return false;
        }

        _closed = true;
        while (_roomGiven.TakeFirst() is LocalWait given)
        {
            given.RevokeRoom(); // its item had not entered yet: the send fails as closed, like a waiting one
        }

        _reserved = 0;
        while (TakeFirstLive(ref _senders) is LocalWait sender)
        {
            sender.Complete(LocalWait.Outcome.Closed);
        }

        while (TakeFirstLive(ref _receivers) is LocalWait receiver)
        {
            // Receivers wait only on an empty channel, so nothing is left for them.
            receiver.Complete(LocalWait.Outcome.Closed);
        }

        return true;
    }

    /// <summary>Receives every item until the channel is closed and empty; the enumeration then ends.</summary>
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
                next = await ReceiveAsync(cancellationToken).ConfigureAwait(true); // stay on the owner thread
            }
            catch (ChannelClosedException)
            {
                yield break;
            }

            yield return next;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void VerifyOwner()
    {
        if (!_owner.IsOwnerThread)
        {
            ThrowHelper.ThrowWrongThread(_owner);
        }
    }

    private bool TrySendCore(T item)
    {
        if (TakeFirstLive(ref _receivers) is LocalWait receiver)
        {
            receiver.CompleteWithItem(item); // a receiver waits only on an empty channel: hand the item over directly
            return true;
        }

        if (_count + _reserved >= _capacity)
        {
            return false;
        }

        PushBack(item);
        return true;
    }

    private bool TryReceiveCore(out T item)
    {
        if (_count == 0)
        {
            item = default!;
            return false;
        }

        item = _ring[_head];
        _ring[_head] = default!;
        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        _count--;
        GiveRoom();
        return true;
    }

    /// <summary>Gives free room to the longest-waiting sender. A raw task's send gets the room only: its item enters
    /// when the task runs (<see cref="FillRoom"/>), so a cancel before then sends nothing. Any other send's item joins
    /// the tail now, keeping FIFO order.</summary>
    private void GiveRoom()
    {
        if (_count + _reserved >= _capacity || TakeFirstLive(ref _senders) is not LocalWait sender)
        {
            return;
        }

        if (sender.IsWakerRegistered)
        {
            _reserved++;
            _roomGiven.Add(sender);
            sender.CompleteWithRoom();
        }
        else
        {
            PushBack(sender.TakeItem());
            sender.Complete(LocalWait.Outcome.Done);
        }
    }

    /// <summary>A raw task's send given room runs: its item enters, to a waiting receiver or the tail.</summary>
    private void FillRoom(LocalWait sender, T item)
    {
        _roomGiven.Remove(sender);
        _reserved--;
        if (TakeFirstLive(ref _receivers) is LocalWait receiver)
        {
            receiver.CompleteWithItem(item);
            GiveRoom(); // the item went past the ring, so the room it held is free again (others may wait for it)
        }
        else
        {
            PushBack(item);
        }
    }

    /// <summary>A raw task's send given room was cancelled before it filled it: the room goes to the next sender.</summary>
    private void ReleaseRoom(LocalWait sender)
    {
        _roomGiven.Remove(sender);
        _reserved--;
        GiveRoom();
    }

    /// <summary>An item handed to a receive whose raw task was cancelled before it took it: it goes to the next waiting
    /// receiver, else back to the head of the channel (it was sent before anything now in it), even if that makes the
    /// channel hold more than its capacity for a while.</summary>
    private void GiveBack(T item)
    {
        if (TakeFirstLive(ref _receivers) is LocalWait receiver)
        {
            receiver.CompleteWithItem(item);
            return;
        }

        if (_count == _ring.Length)
        {
            Grow();
        }

        _head = _head == 0 ? _ring.Length - 1 : _head - 1;
        _ring[_head] = item;
        _count++;
    }

    private void PushBack(T item)
    {
        if (_count == _ring.Length)
        {
            Grow();
        }

        int tail = _head + _count;
        _ring[tail >= _ring.Length ? tail - _ring.Length : tail] = item;
        _count++;
    }

    /// <summary>Makes room beyond the capacity for items given back (rare: never in the steady state).</summary>
    private void Grow()
    {
        var bigger = new T[_ring.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            int at = _head + i;
            bigger[i] = _ring[at >= _ring.Length ? at - _ring.Length : at];
        }

        _ring = bigger;
        _head = 0;
    }

    /// <summary>
    /// The longest-waiting wait whose waiter is still there. A raw task cancelled while it waited (a dropped future) is
    /// skipped and its wait recycled: it must neither swallow an item nor have its item delivered.
    /// </summary>
    private static LocalWait? TakeFirstLive(ref WaitList list)
    {
        while (list.TakeFirst() is LocalWait wait)
        {
            if (!wait.IsAbandoned)
            {
                return wait;
            }

            wait.Discard();
        }

        return null;
    }

    private LocalWait Rent()
    {
        LocalWait? wait = _free;
        if (wait is null)
        {
            return new LocalWait(this);
        }

        _free = wait.Next;
        wait.Next = null;
        return wait;
    }

    private void Return(LocalWait wait)
    {
        wait.Next = _free;
        _free = wait;
    }
}
