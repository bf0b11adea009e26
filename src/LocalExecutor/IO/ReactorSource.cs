namespace ThreadPerCore.IO;

/// <summary>
/// A descriptor watched by an executor's <see cref="Reactor"/>: a connection or a listener. Its methods run on the
/// owner thread only, inside the reactor's poll, and must not run user code there: they perform the pending system
/// call and schedule the waiting task, whose code runs later from the run queue.
/// </summary>
internal abstract class ReactorSource
{
    /// <summary>The reactor's slot for this source (-1 when not registered) and the slot's generation, which tells a
    /// stale event for a recycled slot from a live one. Written by the reactor.</summary>
    internal int Slot = -1;

    internal uint Generation;

    /// <summary>The descriptor.</summary>
    public abstract nint Descriptor { get; }

    /// <summary>The readiness this source wants reported (edge-triggered): read, write, or both.</summary>
    public abstract ReadinessInterest Interest { get; }

    /// <summary>The descriptor became readable, writable, hung up or failed (epoll's event bits).</summary>
    public abstract void OnReadiness(uint events);

    /// <summary>The executor stops: fail what is pending with a clear exception and close the descriptor.</summary>
    public abstract void OnExecutorStopped();
}

/// <summary>Which readiness a source is registered for.</summary>
internal enum ReadinessInterest
{
    Read,
    ReadWrite,
}
