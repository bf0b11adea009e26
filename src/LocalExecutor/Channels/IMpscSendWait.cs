namespace ThreadPerCore.Channels;

/// <summary>How a send into a <see cref="MpscRing{T, TWait}"/> went.</summary>
internal enum MpscSendOutcome
{
    /// <summary>The item is in the ring (or, for a reserved send, its position is claimed).</summary>
    Sent,

    /// <summary>No room: the slot of the next position still holds the item from one lap ago.</summary>
    Full,

    /// <summary>The ring is closed; the item was not sent.</summary>
    Closed,
}

/// <summary>
/// A send waiting for room in a <see cref="MpscRing{T, TWait}"/>: a node of the ring's FIFO of waiting sends, and what
/// the serving thread asks of it. Every member is used under the ring's send lock, except <see cref="IChannelSignal.Signal"/>,
/// <see cref="Drop"/> and <see cref="Recycle"/>, which are called after the lock is let go.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <typeparam name="TWait">The implementing type (the list links waits of one type).</typeparam>
internal interface IMpscSendWait<T, TWait> : IChannelSignal
    where TWait : class, IMpscSendWait<T, TWait>
{
    /// <summary>The next wait in the list (toward the end).</summary>
    TWait? Next { get; set; }

    /// <summary>The previous wait in the list (toward the head).</summary>
    TWait? Previous { get; set; }

    /// <summary>True while the wait is in the list.</summary>
    bool IsLinked { get; set; }

    /// <summary>True when whoever waited gave up without telling the ring (a cancelled raw task): the wait is dropped,
    /// its item not sent.</summary>
    bool IsAbandoned { get; }

    /// <summary>True when the serving thread must only claim a position for this send (<see cref="Reserve"/>); its
    /// waiter writes the item itself when it resumes (<see cref="MpscRing{T, TWait}.Publish"/>), or gives the position
    /// up if it never does (<see cref="MpscRing{T, TWait}.PublishHole"/>).</summary>
    bool ReservesRoom { get; }

    /// <summary>The item to send.</summary>
    T Item { get; }

    /// <summary><paramref name="position"/> is claimed for this send's item, which its waiter publishes.</summary>
    void Reserve(long position);

    /// <summary>Records how the wait ended (its item published by the serving thread, or refused by the close), before
    /// it is taken out of the list and signalled.</summary>
    void Complete(MpscSendOutcome outcome);

    /// <summary>True while the wait still belongs to <paramref name="waiter"/>: not yet ended and reused by another.</summary>
    bool IsAwaitedBy(object waiter);

    /// <summary>Takes the position reserved for this send (<see cref="Reserve"/>), or -1 if none is.</summary>
    long TakeReservation();

    /// <summary>Ends an abandoned wait that was taken out of the list unsignalled.</summary>
    void Drop();

    /// <summary>Ends the wait for good and lets the instance serve another.</summary>
    /// <param name="signalMayBeOnItsWay">True when the ring ended the wait (it is signalled after): the signal may arrive
    /// after this, and must then be paid off instead of waking the instance's next wait.</param>
    void Recycle(bool signalMayBeOnItsWay);
}
