using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Coyote.Specifications;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>How one receive of the model consumer ended.</summary>
internal enum ReceiveOutcome
{
    Item,
    Canceled,
    Closed,
    Abandoned,
}

/// <summary>
/// The receiving side of a <c>SharedChannel</c> as the systematic tests drive it: a producer that publishes items and
/// signals a waiting consumer, a close, and a consumer whose receives wait, are cancelled by their tokens, or are
/// abandoned (their raw task cancelled while they wait) and reclaimed by the next receive.
/// </summary>
internal interface IReceiveSideUnderTest
{
    /// <summary>The producer publishes its next item; false once the channel is closed.</summary>
    bool Publish();

    /// <summary>Closes the channel (any thread).</summary>
    void Close();

    /// <summary>One receive of the consumer: takes an item at once, or waits for one through <paramref name="waiter"/>
    /// (unless <paramref name="abandon"/>: then its raw task is cancelled as soon as the wait is armed).</summary>
    ReceiveOutcome Receive(ModelWaiter waiter, ModelToken? token, bool abandon);

    /// <summary>Why the consumer is blocked outside a wait (a reclaim waiting for a signaller), or null.</summary>
    string? BlockedBy { get; }
}

/// <summary>
/// What a channel wait wakes, standing in for a raw task: a live waiter resumes when woken; an abandoned one (its task
/// cancelled) ignores the wake, as <c>LocalTask.Wake</c> does on a finished task. Waking either twice, or waking a waiter
/// nobody signalled, is a protocol violation.
/// </summary>
/// <remarks>The model's own bookkeeping uses plain fields: the systematic scheduler runs one thread at a time and
/// switches only at controlled operations, so only the protocol's operations (and the blocking) are scheduling points,
/// which keeps the exploration on the interleavings that matter.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim without a wait handle holds nothing to dispose, and a late wake must not meet a disposed one.")]
internal sealed class ModelWaiter(int wait, EventLog log, SemaphoreSlim settled)
{
    private readonly SemaphoreSlim _resumed = new(0, 1);
    private int _wakes;

    /// <summary>Which receive of the consumer this waiter belongs to (1, 2, 3, ...).</summary>
    public int Wait { get; } = wait;

    public bool IsAbandoned { get; private set; }

    /// <summary>True once the raw task suspended on its wait (and until the end).</summary>
    public bool IsSuspended { get; private set; }

    public bool WasWoken => _wakes != 0;

    public void Wake()
    {
        int wakes = ++_wakes;
        log.Add($"wait {Wait} woken" + (IsAbandoned ? " (abandoned: no-op)" : string.Empty));
        Specification.Assert(wakes == 1, "wait {0} was woken {1} times. {2}", Wait, wakes, log);
        if (!IsAbandoned)
        {
            _resumed.Release();
        }
    }

    /// <summary>The raw task is cancelled while it waits: it will never take the result.</summary>
    public void Abandon()
    {
        IsAbandoned = true;
        log.Add($"wait {Wait} abandoned (its raw task cancelled)");
    }

    /// <summary>The raw task suspends until it is woken (and tells the watcher it did).</summary>
    public void Suspend()
    {
        IsSuspended = true;
        settled.Release();
        _resumed.Wait();
    }
}

/// <summary>The waiter slot of <see cref="ThreadPerCore.Channels.WaitState{TWaiter}"/> in the model.</summary>
internal struct ModelWaiterSlot
{
    public ModelWaiter? Task;
}

/// <summary>
/// A cancellation token as the channel uses it: a callback registered once, run at most once (on the cancelling thread,
/// or at once on the registering thread if the token already fired), and a registration whose disposal waits for a
/// callback that is running and stops a later one, as <see cref="CancellationTokenRegistration.Dispose"/> does. Its
/// bookkeeping is plain (see <see cref="ModelWaiter"/>); only the callback's lock is a scheduling point.
/// </summary>
internal sealed class ModelToken(string name, EventLog log)
{
    private Registration? _registration;

    public bool IsCancellationRequested { get; private set; }

    public Registration Register(Action callback)
    {
        var registration = new Registration(callback);
        if (IsCancellationRequested)
        {
            registration.Run();
        }
        else
        {
            _registration = registration;
        }

        return registration;
    }

    public void Cancel()
    {
        IsCancellationRequested = true;
        log.Add($"{name} fires");
        Registration? registration = _registration;
        _registration = null;
        registration?.Run();
    }

    internal sealed class Registration(Action callback)
    {
        private readonly object _running = new();
        private bool _disposed;

        public void Run()
        {
            lock (_running)
            {
                if (!_disposed)
                {
                    _disposed = true;
                    callback();
                }
            }
        }

        public void Dispose()
        {
            lock (_running)
            {
                _disposed = true;
            }
        }
    }
}

/// <summary>
/// The story of one explored schedule, printed with a violation. A plain list: the systematic scheduler runs one
/// thread at a time, and a concurrent collection would add scheduling points that only dilute the exploration.
/// </summary>
internal sealed class EventLog
{
    private readonly List<string> _events = [];

    public void Add(string what) => _events.Add(what);

    public override string ToString() => "Schedule: " + string.Join("; ", _events) + ".";
}
