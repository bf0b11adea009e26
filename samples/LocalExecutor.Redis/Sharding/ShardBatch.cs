using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using ThreadPerCore.Redis.Protocol;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>
/// The operations one pipelined batch of a connection sends to one shard on another core: they travel together in
/// one hop there and one hop back, however many commands the batch has. One per connection and shard, reused batch
/// after batch (the ops array, the reply buffer, the awaitable), so a hop allocates nothing in the steady state.
/// </summary>
/// <remarks>
/// The hops are posts to the cores' <see cref="LocalSynchronizationContext"/>s with a static callback and this object
/// as state. The batch completes on the connection's core, where the awaiting connection (which awaits with
/// <c>ConfigureAwait(false)</c>) resumes inline: no third hop. A connection on no executor gets its continuation on
/// the thread pool instead of on the shard's core.
/// </remarks>
[DebuggerDisplay("shard {Shard}: {_count} ops")]
[SuppressMessage("Usage", "VSTHRD001:Avoid legacy thread switching APIs", Justification = "The contexts are executors' (no UI thread); a post is the cross-core hop itself.")]
internal sealed class ShardBatch : IValueTaskSource, IDisposable
{
    private static readonly SendOrPostCallback s_runOnOwner = static state => ((ShardBatch)state!).RunOnOwner();
    private static readonly SendOrPostCallback s_completeOnOrigin = static state => ((ShardBatch)state!).Complete();

    private readonly RequestBuffer _request;
    private readonly ServerStats _stats;
    private readonly int _origin;
    private readonly ReplyBuffer _replies = new();
    private ShardOp[] _ops = new ShardOp[8];
    private (int Start, int Length, long Result)[] _outcomes = new (int, int, long)[8];
    private int _count;
    private ManualResetValueTaskSourceCore<bool> _completion;
    private SynchronizationContext? _originContext;
    private Exception? _failure;
    private ShardStore? _store;

    /// <summary>Creates the batch a connection on core <paramref name="origin"/> (-1: on no executor) sends to
    /// <paramref name="shard"/>, with the arguments in <paramref name="request"/>; its hops are counted in
    /// <paramref name="stats"/>.</summary>
    public ShardBatch(int shard, int origin, RequestBuffer request, ServerStats stats)
    {
        Shard = shard;
        _origin = origin;
        _request = request;
        _stats = stats;
    }

    /// <summary>The shard the batch goes to.</summary>
    public int Shard { get; }

    /// <summary>True when ops were added since the last <see cref="Reset"/>.</summary>
    public bool HasOps => _count > 0;

    /// <summary>Adds an op; returns its index (for <see cref="Reply"/> and <see cref="Result"/>).</summary>
    public int Add(in ShardOp op)
    {
        if (_count == _ops.Length)
        {
            Array.Resize(ref _ops, _count * 2);
            Array.Resize(ref _outcomes, _count * 2);
        }

        _ops[_count] = op;
        return _count++;
    }

    /// <summary>Sends the batch to <paramref name="store"/>'s core through <paramref name="owner"/>; it completes through
    /// <paramref name="origin"/> (the connection's core), or on the shard's core when <paramref name="origin"/> is null.</summary>
    public void Send(ShardStore store, SynchronizationContext owner, SynchronizationContext? origin)
    {
        _store = store;
        _originContext = origin;
        _failure = null;
        if (_origin >= 0)
        {
            _stats.HopSent(_origin); // on the sending core, its own slot
        }

        _completion.Reset();
        _completion.RunContinuationsAsynchronously = origin is null; // never resume the connection on the shard's core
        owner.Post(s_runOnOwner, this);
    }

    /// <summary>Completes when the batch came back.</summary>
    public ValueTask WaitAsync() => new(this, _completion.Version);

    /// <summary>The reply op <paramref name="index"/> wrote.</summary>
    public ReadOnlySpan<byte> Reply(int index) => _replies.Slice(_outcomes[index].Start, _outcomes[index].Length);

    /// <summary>The count op <paramref name="index"/> returned.</summary>
    public long Result(int index) => _outcomes[index].Result;

    /// <summary>Empties the batch for the next one (after it came back).</summary>
    public void Reset()
    {
        _count = 0;
        _replies.Clear();
        _store = null;
    }

    /// <inheritdoc />
    public void Dispose() => _replies.Dispose();

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private void RunOnOwner()
    {
        _stats.HopServed(Shard); // on the owning core, its own slot
        try
        {
            ShardStore store = _store!;
            for (int i = 0; i < _count; i++)
            {
                int start = _replies.Length;
                long result = store.Execute(in _ops[i], _request, _replies);
                _outcomes[i] = (start, _replies.Length - start, result);
            }
        }
        catch (Exception exception)
        {
            _failure = exception; // travels back to the connection, which closes
        }

        if (_originContext is SynchronizationContext origin)
        {
            origin.Post(s_completeOnOrigin, this);
        }
        else
        {
            Complete();
        }
    }

    private void Complete()
    {
        if (_failure is Exception failure)
        {
            _completion.SetException(failure);
        }
        else
        {
            _completion.SetResult(true);
        }
    }
}
