using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// A thread-per-core runtime: one <see cref="LocalExecutor"/> per shard, each on its own thread pinned as the
/// <see cref="PoolPlacement"/> says. Run a body on every shard (<see cref="RunOnAllShards{T}(Func{int, Task{T}})"/>),
/// route work to a shard by key (<see cref="ExecutorFor{TKey}(TKey)"/>, <see cref="SpawnOn{TKey, T}(TKey, Func{Task{T}})"/>),
/// or spawn on a given shard through <see cref="this[int]"/>.
/// </summary>
/// <remarks>
/// <para>The pool starts in its constructor, all or nothing: every executor is started (its thread running and pinned)
/// before the constructor returns; if one fails, those already started are stopped and a
/// <see cref="PoolStartException"/> naming the shard is thrown. User work can only be handed to the pool once the
/// constructor returned, so no shard ever runs user work in a pool that did not fully start.</para>
/// <para>Nothing here is on a hot path: the pool is an array of executors. Spawning onto a shard is the executor's own
/// spawn (its inbox and parker), whose cost does not depend on how many executors exist.</para>
/// </remarks>
[DebuggerDisplay("{Count} executors ({Placement})")]
public sealed partial class LocalExecutorPool : IAsyncDisposable, IDisposable
{
    private readonly LocalExecutor[] _executors;
    private readonly LocalExecutor? _previousDefault;
    private readonly bool _setDefault;
    private readonly object _stopGate = new();
    private bool _stopBegun; // under _stopGate

    /// <summary>Starts the executors of a pool.</summary>
    /// <param name="options">How to start it; null for one pinned executor per usable CPU.</param>
    /// <exception cref="ArgumentOutOfRangeException">A pinning placement asks for more executors than
    /// <see cref="Platform.SystemCpus.UsableCpuCount"/>, or lists a CPU the process may not use (the message names it and
    /// the usable CPUs, as a single executor's does). The whole placement is checked before any executor starts.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it), as for
    /// <see cref="LocalExecutor(LocalExecutorOptions?)"/>; checked before any executor starts.</exception>
    /// <exception cref="PoolStartException">An executor failed to start (for example, the operating system refused to pin
    /// its thread); none of the others is left running.</exception>
    public LocalExecutorPool(LocalExecutorPoolOptions? options = null)
        : this(options, static (_, executorOptions) => new LocalExecutor(executorOptions))
    {
    }

    /// <summary>Starts a pool with the default options and the given placement.</summary>
    /// <param name="placement">Where the executors run.</param>
    /// <exception cref="ArgumentNullException"><paramref name="placement"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="LocalExecutorPool(LocalExecutorPoolOptions?)"/>.</exception>
    /// <exception cref="PoolStartException">See <see cref="LocalExecutorPool(LocalExecutorPoolOptions?)"/>.</exception>
    public LocalExecutorPool(PoolPlacement placement)
        : this(new LocalExecutorPoolOptions { Placement = placement ?? throw new ArgumentNullException(nameof(placement)) })
    {
    }

    /// <summary>Starts a pool whose executors are made by <paramref name="factory"/> (tests inject start failures).</summary>
    internal LocalExecutorPool(LocalExecutorPoolOptions? options, Func<int, LocalExecutorOptions, LocalExecutor> factory)
    {
        LocalExecutorPoolOptions settings = options?.Clone() ?? new LocalExecutorPoolOptions();
        ArgumentNullException.ThrowIfNull(settings.Placement, "options.Placement");
        ArgumentNullException.ThrowIfNull(settings.NamePrefix, "options.NamePrefix");
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.SpinBeforePark, TimeSpan.Zero, "options.SpinBeforePark");
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.PreemptTimeSlice, TimeSpan.FromMilliseconds(1), "options.PreemptTimeSlice");
        ArgumentOutOfRangeException.ThrowIfNegative(settings.StackSize, "options.StackSize");
        if (settings.ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.ShutdownTimeout, TimeSpan.Zero, "options.ShutdownTimeout");
        }

        if (settings.StallThreshold != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.StallThreshold, TimeSpan.Zero, "options.StallThreshold");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(settings.StallReportsPerMinute, "options.StallReportsPerMinute");
        if (settings.DrainTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(settings.DrainTimeout, TimeSpan.Zero, "options.DrainTimeout");
        }

        Placement = settings.Placement;

        Placement[] plan = settings.Placement.Plan();
        _executors = new LocalExecutor[plan.Length];
        for (int shard = 0; shard < plan.Length; shard++)
        {
            var executorOptions = new LocalExecutorOptions
            {
                Placement = plan[shard],
                Name = $"{settings.NamePrefix}-{shard}",
                SpinBeforePark = settings.SpinBeforePark,
                PreemptTimeSlice = settings.PreemptTimeSlice,
                UnhandledExceptionPolicy = settings.UnhandledExceptionPolicy,
                EnableReactor = settings.EnableReactor,
                ShutdownTimeout = settings.ShutdownTimeout,
                StackSize = settings.StackSize,
                DrainTimeout = settings.DrainTimeout,
                LateWorkPolicy = settings.LateWorkPolicy,
                StallThreshold = settings.StallThreshold,
                StallReportsPerMinute = settings.StallReportsPerMinute,
            };

            try
            {
                _executors[shard] = factory(shard, executorOptions);
            }
            catch (Exception exception)
            {
                StopStarted(shard);
                throw new PoolStartException(shard, plan[shard], exception);
            }
        }

        Executors = new ReadOnlyCollection<LocalExecutor>(_executors);
        if (settings.SetAsDefault)
        {
            _setDefault = true;
            _previousDefault = LocalExecutor.Default;
            LocalExecutor.Default = _executors[0];
        }
    }

    /// <summary>How many executors (shards) the pool has.</summary>
    public int Count => _executors.Length;

    /// <summary>The executors, indexed by shard.</summary>
    public IReadOnlyList<LocalExecutor> Executors { get; }

    /// <summary>The placement the pool was started with.</summary>
    public PoolPlacement Placement { get; }

    /// <summary>The executor of shard <paramref name="shard"/>.</summary>
    /// <param name="shard">From 0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is out of range.</exception>
    public LocalExecutor this[int shard]
    {
        get
        {
            if ((uint)shard >= (uint)_executors.Length)
            {
                ThrowShardOutOfRange(shard);
            }

            return _executors[shard];
        }
    }

    /// <summary>
    /// The shard of <paramref name="key"/> under the default hash: the key's <see cref="EqualityComparer{T}.Default"/>
    /// hash code mixed by the MurmurHash3 finalizer, reduced to <c>[0, Count)</c> by multiply-shift. The same key always
    /// maps to the same shard within a process; across processes only if the key's hash code is stable (string hash codes
    /// are randomized per process: pass your own hash for a cross-process mapping).
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key; null maps like a hash code of 0.</param>
    /// <returns>The shard index.</returns>
    public int ShardFor<TKey>(TKey key) => ShardHash.Default(key, _executors.Length);

    /// <summary>The shard of <paramref name="key"/> under a user hash: <c>(uint)hash(key) % Count</c>, so a hash that
    /// already returns a shard number keeps it.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="hash">The hash function.</param>
    /// <returns>The shard index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hash"/> is null.</exception>
    public int ShardFor<TKey>(TKey key, Func<TKey, int> hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        return ShardHash.Reduce(hash(key), _executors.Length);
    }

    /// <summary>The executor that owns <paramref name="key"/> under the default hash (see <see cref="ShardFor{TKey}(TKey)"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key.</param>
    /// <returns>The executor.</returns>
    public LocalExecutor ExecutorFor<TKey>(TKey key) => _executors[ShardFor(key)];

    /// <summary>The executor that owns <paramref name="key"/> under a user hash (see <see cref="ShardFor{TKey}(TKey, Func{TKey, int})"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="hash">The hash function.</param>
    /// <returns>The executor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hash"/> is null.</exception>
    public LocalExecutor ExecutorFor<TKey>(TKey key, Func<TKey, int> hash) => _executors[ShardFor(key, hash)];

    /// <summary>
    /// Shuts every executor down gracefully, all at once (see <see cref="LocalExecutor.ShutdownAsync(TimeSpan)"/>): new
    /// work from outside the pool is refused at once, the work in flight on every shard (and what shards ask of each
    /// other while they drain) runs until <paramref name="deadline"/>, then what is left is cancelled. Called again, or
    /// after <see cref="DisposeAsync"/>, it joins the shutdown in progress (it can only bring the deadline closer) and
    /// completes when it has ended, with the same shard reports.
    /// </summary>
    /// <param name="deadline">How long the work in flight may take; <see cref="TimeSpan.Zero"/> cancels at once,
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits until it ends.</param>
    /// <returns>The pool's report: the sums over the shards, and each shard's report in <see cref="ShutdownReport.Shards"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deadline"/> is negative (other than infinite).</exception>
    /// <exception cref="ShutdownTimeoutException">A shard's thread did not exit in time (see
    /// <see cref="LocalExecutor.ShutdownAsync(TimeSpan)"/>); the others were still waited for.</exception>
    public Task<ShutdownReport> ShutdownAsync(TimeSpan deadline)
    {
        if (deadline != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(deadline, TimeSpan.Zero);
        }

        return ShutdownAllAsync(executor => executor.ShutdownAsync(deadline));
    }

    /// <summary>
    /// Shuts every executor down gracefully, all at once, the drain ending when <paramref name="cancellationToken"/> is
    /// cancelled (the shape of <c>IHostedService.StopAsync</c>); see <see cref="ShutdownAsync(TimeSpan)"/>.
    /// </summary>
    /// <param name="cancellationToken">Ends the drain of every shard.</param>
    /// <returns>The pool's report.</returns>
    /// <exception cref="ShutdownTimeoutException">A shard's thread did not exit in time after the token was cancelled.</exception>
    public Task<ShutdownReport> ShutdownAsync(CancellationToken cancellationToken) =>
        ShutdownAllAsync(executor => executor.ShutdownAsync(cancellationToken));

    private async Task<ShutdownReport> ShutdownAllAsync(Func<LocalExecutor, Task<ShutdownReport>> shutdown)
    {
        BeginStop();
        var stopping = new Task<ShutdownReport>[_executors.Length];
        for (int i = 0; i < _executors.Length; i++)
        {
            stopping[i] = shutdown(_executors[i]);
        }

        ShutdownReport[] reports = await Task.WhenAll(stopping).ConfigureAwait(false);
        return ShutdownReport.Combine($"pool of {reports.Length} executors", reports);
    }

    /// <summary>
    /// Shuts every executor down with its drain deadline (<see cref="LocalExecutorPoolOptions.DrainTimeout"/>), all at
    /// once, and waits until all their threads exited (see <see cref="LocalExecutor.DisposeAsync"/>). Like an
    /// executor's, every call waits: called again, or after <see cref="ShutdownAsync(TimeSpan)"/>, it joins the shutdown
    /// in progress (it can only bring the deadline closer, to <see cref="LocalExecutorPoolOptions.DrainTimeout"/>) and
    /// completes when that shutdown has ended.
    /// </summary>
    /// <returns>A task that completes when every executor stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        BeginStop();
        var stopping = new Task[_executors.Length];
        for (int i = 0; i < _executors.Length; i++)
        {
            stopping[i] = _executors[i].DisposeAsync().AsTask();
        }

        await Task.WhenAll(stopping).ConfigureAwait(false);
    }

    /// <summary>Shuts every executor down (see <see cref="DisposeAsync"/>) and blocks until their threads exited; called
    /// again, or after <see cref="ShutdownAsync(TimeSpan)"/>, it blocks until the shutdown in progress has ended.</summary>
    public void Dispose()
    {
        BeginStop();
        foreach (LocalExecutor executor in _executors)
        {
            executor.RequestStopWithDrain(); // all drain side by side; the waits below overlap
        }

        foreach (LocalExecutor executor in _executors)
        {
            executor.Dispose();
        }
    }

    /// <summary>
    /// What the first call that stops the pool does, once: hands the process-wide default back and makes the shards
    /// drain as one group. A concurrent call waits here until the group is made, so that no shard's stop is requested
    /// before it joined the group (it would then drain alone and could refuse a request from another shard). Later calls
    /// go straight on to the executors, whose own calls all wait for the same end.
    /// </summary>
    private void BeginStop()
    {
        lock (_stopGate)
        {
            if (_stopBegun)
            {
                return;
            }

            _stopBegun = true;
            RestoreDefault();
            JoinDrainGroup();
        }
    }

    /// <summary>Makes the shards that are not stopping yet drain as one group (see <see cref="DrainGroup"/>).</summary>
    private void JoinDrainGroup()
    {
        var members = new System.Collections.Generic.List<LocalExecutor>(_executors.Length);
        foreach (LocalExecutor executor in _executors)
        {
            if (!executor.IsStopping)
            {
                members.Add(executor);
            }
        }

        var group = new DrainGroup([.. members]);
        foreach (LocalExecutor member in members)
        {
            if (!member.JoinDrainGroup(group))
            {
                group.Idle(); // it started stopping meanwhile: it does not take part, so it does not count as busy
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"LocalExecutorPool: {Count} executors ({Placement})";

    private void RestoreDefault()
    {
        if (_setDefault && LocalExecutor.Default == _executors[0])
        {
            LocalExecutor.Default = _previousDefault;
        }
    }

    private void StopStarted(int startedCount)
    {
        for (int i = 0; i < startedCount; i++)
        {
            _executors[i].RequestStop();
        }

        for (int i = 0; i < startedCount; i++)
        {
            _executors[i].Dispose();
        }
    }

    private void ThrowShardOutOfRange(int shard) =>
        throw new ArgumentOutOfRangeException(nameof(shard), shard, $"The pool has {_executors.Length} shards (0-{_executors.Length - 1}).");
}
