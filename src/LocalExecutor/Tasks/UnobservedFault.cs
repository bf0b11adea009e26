using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The failure of a task that faulted while nothing awaited it, until something observes it (an await, reading
/// <see cref="LocalTask.Exception"/>, <see cref="LocalTask.AsTask"/>) or it is reported as unhandled: when the task is
/// collected unobserved (<see cref="FaultSentinel"/>'s finalizer, as .NET does for a <see cref="System.Threading.Tasks.Task"/>)
/// or when its executor shuts down, whichever comes first. Exactly one of observed and reported happens.
/// </summary>
internal sealed class UnobservedFault
{
    private const int Pending = 0;
    private const int Observed = 1;
    private const int Reported = 2;

    private int _state;

    public UnobservedFault(LocalExecutor executor, ExceptionDispatchInfo info, string task)
    {
        Executor = executor;
        Info = info;
        Task = task;
    }

    public LocalExecutor Executor { get; }

    public ExceptionDispatchInfo Info { get; }

    /// <summary>What the task was (<see cref="WorkDescription"/>), for the report.</summary>
    public string Task { get; }

    public bool IsPending => Volatile.Read(ref _state) == Pending;

    /// <summary>Something looked at the failure: it is the observer's now.</summary>
    public void Observe()
    {
        if (Interlocked.CompareExchange(ref _state, Observed, Pending) == Pending)
        {
            Executor.UnobservedFaults.Remove(this);
        }
    }

    /// <summary>Reports the failure as unhandled unless it was observed or reported already. Any thread.</summary>
    public void Report()
    {
        if (Interlocked.CompareExchange(ref _state, Reported, Pending) == Pending)
        {
            Executor.UnobservedFaults.Remove(this);
            Executor.ReportUnhandled(
                new UnobservedLocalTaskException(Executor.Name, Task, Info.SourceException),
                UnhandledExceptionOrigin.UnobservedTask);
        }
    }
}

/// <summary>Held by the faulted task alone, so that its finalizer runs when the task is collected: the failure was never
/// observed, and is reported. Only a task that faulted with nothing awaiting it pays for a finalizable object.</summary>
internal sealed class FaultSentinel(UnobservedFault fault)
{
    public UnobservedFault Fault { get; } = fault;

    ~FaultSentinel() => Fault.Report();
}

/// <summary>An executor's pending <see cref="UnobservedFault"/>s, reported at its shutdown if nothing observed them by
/// then. Faults are rare: a lock is fine.</summary>
internal sealed class UnobservedFaultList
{
    private readonly HashSet<UnobservedFault> _pending = [];

    public void Add(UnobservedFault fault)
    {
        lock (_pending)
        {
            if (fault.IsPending)
            {
                _pending.Add(fault);
            }
        }
    }

    public void Remove(UnobservedFault fault)
    {
        lock (_pending)
        {
            _pending.Remove(fault);
        }
    }

    /// <summary>How many faults wait to be reported (tests: an observed fault must not stay here until shutdown).</summary>
    public int Count
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    public UnobservedFault[] TakeAll()
    {
        lock (_pending)
        {
            UnobservedFault[] all = [.. _pending];
            _pending.Clear();
            return all;
        }
    }
}
