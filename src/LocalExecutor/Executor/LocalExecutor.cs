using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Platform;

namespace ThreadPerCore;

/// <summary>
/// A single-threaded executor: one dedicated OS thread, optionally pinned to one CPU, with its own run queue.
/// Work placed on it stays on it. Ordinary <c>async</c>/<c>await</c> code runs on it unchanged through its
/// <see cref="SynchronizationContext"/> and <see cref="Scheduler"/>; <see cref="Spawn{T}(Func{T})"/> and methods that
/// return <see cref="LocalTask{T}"/> run on it as raw tasks.
/// </summary>
/// <remarks>
/// The executor starts in the constructor: when it returns, the thread runs, is pinned, and accepts work.
/// <see cref="ShutdownAsync(TimeSpan)"/> stops it gracefully (the work in flight finishes until a deadline, then what is
/// left is cancelled) and joins the thread; <see cref="DisposeAsync"/> does the same with
/// <see cref="LocalExecutorOptions.DrainTimeout"/>.
/// </remarks>
[DebuggerDisplay("{Name,nq} ({Placement}), {LiveTaskCount} live tasks, {QueuedCountForDebugger} queued")]
[DebuggerTypeProxy(typeof(LocalExecutorDebugView))]
public sealed partial class LocalExecutor : IAsyncDisposable, IDisposable
{
    [ThreadStatic]
    private static LocalExecutor? t_current;

    [ThreadStatic]
    private static TaskQueue? t_currentQueue;

    private static int s_lastId;

    private readonly Thread _thread;
    private readonly Inbox _inbox = new();
    private readonly Parker _parker;
    private readonly IO.Reactor? _reactor;
    private readonly IO.DotNetSocketSet _dotNetSockets;
    private readonly TaskQueue _defaultQueue;
    private readonly LocalExecutorOptions _options;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TurnWatch? _turnWatch;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _startFailure;

    /// <summary>Starts an executor on a new thread, placed as <paramref name="options"/> say.</summary>
    /// <param name="options">How to start it; null for the defaults (unbound, no spinning).</param>
    /// <exception cref="ArgumentOutOfRangeException">The placement names a CPU this process may not use; the message
    /// names the CPU and the CPUs it may use.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it): a negative
    /// <see cref="LocalExecutorOptions.SpinBeforePark"/> or <see cref="LocalExecutorOptions.StackSize"/>, a
    /// <see cref="LocalExecutorOptions.PreemptTimeSlice"/> under 1 ms, a <see cref="LocalExecutorOptions.ShutdownTimeout"/>
    /// that is neither positive nor infinite, a negative <see cref="LocalExecutorOptions.DrainTimeout"/> (other than infinite),
    /// an undefined <see cref="LocalExecutorOptions.LateWorkPolicy"/>,
    /// a <see cref="LocalExecutorOptions.StallThreshold"/> that is neither positive
    /// nor infinite, a negative <see cref="LocalExecutorOptions.StallReportsPerMinute"/>.</exception>
    /// <exception cref="InvalidOperationException">The operating system refused to pin the thread.</exception>
    public LocalExecutor(LocalExecutorOptions? options = null)
    {
        _options = options?.Clone() ?? new LocalExecutorOptions();
        ArgumentNullException.ThrowIfNull(_options.Placement, "options.Placement");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.SpinBeforePark, TimeSpan.Zero, "options.SpinBeforePark");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.PreemptTimeSlice, TimeSpan.FromMilliseconds(1), "options.PreemptTimeSlice");
        ArgumentOutOfRangeException.ThrowIfNegative(_options.StackSize, "options.StackSize");
        _shutdownTimeout = ValidateShutdownTimeout(_options.ShutdownTimeout);
        _drainTimeout = ValidateDrainTime(_options.DrainTimeout, "options.DrainTimeout");
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)_options.LateWorkPolicy, (uint)LateWorkPolicy.Reject, "options.LateWorkPolicy");
        _turnWatch = CreateTurnWatch();

        // Times that do not fit in clock ticks saturate to "never" instead of overflowing deadlines into the past.
        _options.SpinBeforePark = Deadlines.Saturate(_options.SpinBeforePark);
        _defaultSliceTicks = Deadlines.ToTicks(_options.PreemptTimeSlice);

        Id = Interlocked.Increment(ref s_lastId);
        Name = _options.Name ?? $"LocalExecutor-{Id}";
        Placement = ResolvePlacement(_options.Placement);
        _defaultQueue = new TaskQueue(this, 0, "default") { IsRegistered = true };
        _drain = new ShutdownDrain(this);

        // The reactor is created before the thread starts: the parker sleeps on it from the first park on.
        string? reason = "disabled by LocalExecutorOptions.EnableReactor";
        _reactor = _options.EnableReactor ? IO.Reactor.TryCreate(this, out reason) : null;
        ReactorUnavailableReason = reason;
        _parker = new Parker(_reactor);
        _dotNetSockets = new IO.DotNetSocketSet(this);
        _queues = [_defaultQueue];

        _thread = new Thread(ThreadMain, _options.StackSize) { Name = Name, IsBackground = true };
        using (var started = new ManualResetEventSlim())
        {
            _thread.UnsafeStart(started); // the executor's thread starts with a clean execution context
            started.Wait();
        }

        if (_startFailure is not null)
        {
            _thread.Join();
            throw _startFailure;
        }
    }

    /// <summary>The executor running the calling thread, or null when the caller is not on an executor thread.</summary>
    public static LocalExecutor? Current => t_current;

    /// <summary>A number unique to this executor in the process.</summary>
    public int Id { get; }

    /// <summary>The name of the executor and of its thread.</summary>
    public string Name { get; }

    /// <summary>Where the thread runs. <see cref="Placement.Unbound"/> when pinning was not asked for or the system
    /// cannot pin.</summary>
    public Placement Placement { get; }

    /// <summary>True when the executor has its own I/O reactor (Linux epoll): sockets of <see cref="IO.LocalConnection"/>
    /// then complete on this thread. False elsewhere, or when it could not be created (see
    /// <see cref="ReactorUnavailableReason"/>); sockets then use .NET's asynchronous sockets behind the same API.</summary>
    public bool HasReactor => _reactor is not null;

    /// <summary>Why the executor has no reactor; null when it has one.</summary>
    public string? ReactorUnavailableReason { get; }

    /// <summary>The executor's thread.</summary>
    public Thread Thread => _thread;

    /// <summary>The synchronization context installed on the executor thread.</summary>
    public LocalSynchronizationContext SynchronizationContext => _defaultQueue.SynchronizationContext;

    /// <summary>The task scheduler that runs tasks on the executor thread: <c>new TaskFactory(executor.Scheduler)</c>.</summary>
    public LocalTaskScheduler Scheduler => _defaultQueue.Scheduler;

    /// <summary>Completes when the executor thread has exited; faults if the executor stopped on an exception.</summary>
    public Task Completion => _completion.Task;

    /// <summary>True on the executor's own thread.</summary>
    public bool IsOwnerThread
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_current == this;
    }

    internal TaskQueue DefaultQueue => _defaultQueue;

    /// <summary>The executor's reactor, or null (see <see cref="HasReactor"/>).</summary>
    internal IO.Reactor? Reactor => _reactor;

    /// <summary>The executor's sockets on .NET's socket engine, which it closes when it stops as the reactor closes its own.</summary>
    internal IO.DotNetSocketSet DotNetSockets => _dotNetSockets;

    /// <summary>The operating system's id of the executor thread (Linux <c>gettid</c>), or -1 where unknown.</summary>
    internal int OsThreadId { get; private set; } = -1;

    /// <summary>True unless the executor sleeps in its parker: the preemption clock keeps ticking while any executor is awake.</summary>
    internal bool IsAwakeForClock => !_parker.IsParked;

    /// <summary>How many times the executor parked, read by the clock thread to tell a quiet executor from one that
    /// parks and wakes between its looks.</summary>
    internal long ParksForClock => Volatile.Read(ref _parks);

    /// <summary>The deadline of the running slice (<see cref="long.MaxValue"/> between slices), read by the clock thread.</summary>
    internal long SliceDeadlineForClock => Volatile.Read(ref _sliceDeadline);

    /// <summary>When the running slice started, on the clock its deadline is on (owner thread: tests check a slice's
    /// length from inside it).</summary>
    internal long SliceStartForTests => _sliceStart;

    /// <summary>True when <paramref name="queue"/> is the queue whose work runs on the calling thread now, or, outside
    /// any queue's work on its executor's thread, when it is the default queue. Decides whether a new async body may
    /// start inline.</summary>
    internal static bool IsRunningQueue(TaskQueue queue) =>
        t_currentQueue is { } running ? running == queue : queue.Id == 0;

    /// <summary>The task queue whose work runs on the calling thread now if that is this executor's thread, else the
    /// default queue: where work started by the current code belongs.</summary>
    internal static TaskQueue CurrentQueueOrDefault(LocalExecutor executor) =>
        executor.IsOwnerThread && t_currentQueue is { } running ? running : executor._defaultQueue;

    internal LiveTaskList LiveTasks { get; } = new();

    /// <summary>The execution context of the loop itself; work that changes the thread's context is reset to it.</summary>
    internal ExecutionContext? LoopContext { get; private set; }

    private int LiveTaskCount => LiveTasks.Count;

    private int QueuedCountForDebugger => GetStats().QueueLength + _inbox.Count;

    /// <summary>The task queues, the default one first (debugger view).</summary>
    internal TaskQueue[] QueuesForDebugger => Volatile.Read(ref _queues);

    /// <summary>A copy of the inbox (debugger view).</summary>
    internal WorkItem[] InboxForDebugger => _inbox.ToArray();

    /// <summary>Throws <see cref="InvalidOperationException"/> unless called on this executor's thread.</summary>
    public void VerifyAccess()
    {
        if (!IsOwnerThread)
        {
            ThrowHelper.ThrowWrongThread(this);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Placement})";

    private static TimeSpan ValidateShutdownTimeout(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds > int.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, "options.ShutdownTimeout");
        return timeout;
    }

    private static Placement ResolvePlacement(Placement requested)
    {
        if (requested.Cpu is not int cpu)
        {
            return Placement.Unbound;
        }

        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return Placement.Unbound; // documented: no pinning API here, the executor says it is unbound
        }

        UsableCpus.ThrowIfUnavailable(cpu, SystemCpus.GetAvailableCpus(), "options.Placement");
        return requested;
    }

    private void ThreadMain(object? started)
    {
        t_current = this;
        if (Placement.Cpu is int cpu && !ThreadAffinity.TryPinCurrentThread(cpu, out string? error))
        {
            _startFailure = new InvalidOperationException($"Could not pin executor '{Name}' to CPU {cpu}: {error}");
            t_current = null;
            ((ManualResetEventSlim)started!).Set();
            return;
        }

        System.Threading.SynchronizationContext.SetSynchronizationContext(_defaultQueue.SynchronizationContext);
        LoopContext = ExecutionContext.Capture();
        OsThreadId = ThreadIds.TryGetCurrentOsThreadId();
        PreemptClock.Register(this);
        Diagnostics.ExecutorMetrics.Register(this);
        ((ManualResetEventSlim)started!).Set();

        // The loop runs inside one long-lived task executed by the default queue's scheduler, so that inside any
        // work on this thread TaskScheduler.Current is the executor's scheduler, at no cost per work item.
        // DenyChildAttach keeps AttachedToParent children of user work from attaching to it.
        var carrier = new Task(static self => ((LocalExecutor)self!).RunLoop(), this, TaskCreationOptions.DenyChildAttach);
        carrier.RunSynchronously(_defaultQueue.Scheduler);

        Exception? failure = carrier.Exception?.InnerException ?? _stopException;
        Diagnostics.ExecutorMetrics.Unregister(this);
        _shutdownReport ??= _drain.CreateReport(Name, 0); // the loop itself failed before its shutdown
        PreemptClock.Unregister(this);
        t_current = null;
        System.Threading.SynchronizationContext.SetSynchronizationContext(null);
        if (failure is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(failure);
        }
    }
}
