namespace ThreadPerCore.Channels;

/// <summary>A channel wait that another thread ends by signalling it, once it took the wait's flag.</summary>
/// <remarks>The seam between a ring's protocol and the waits it ends: the rings depend only on this, so the systematic
/// tests can compile a ring from its source and drive it with model waits (Coyote controls their semaphores).</remarks>
internal interface IChannelSignal
{
    /// <summary>Ends the wait and wakes its waiter; called once per wait, from any thread.</summary>
    void Signal();
}
