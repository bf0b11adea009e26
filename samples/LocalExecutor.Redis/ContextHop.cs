using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore.Redis;

/// <summary>
/// Brings a connection's loop back onto its executor after an await that completed on another thread (a .NET socket
/// completion on the runtime's I/O thread), through the executor's <see cref="LocalSynchronizationContext"/>, with a
/// static callback and this reused object as state: one post, no allocation. The runtime's own way back (an await
/// that captured the context) allocates a delegate per resumption. Where the await already completed on the core (data
/// was buffered, or a reactor pipe whose continuations run on the core), it costs one thread-static read.
/// </summary>
[SuppressMessage("Usage", "VSTHRD001:Avoid legacy thread switching APIs", Justification = "The context is an executor's (no UI thread); the post is the hop back to it.")]
internal sealed class ContextHop : ICriticalNotifyCompletion
{
    private static readonly SendOrPostCallback s_resume = static state =>
    {
        var hop = (ContextHop)state!;
        Action continuation = hop._continuation!;
        hop._continuation = null;
        continuation();
    };

    private readonly LocalExecutor? _executor;
    private Action? _continuation;

    /// <summary>Creates the hop back to the executor running the caller, if any.</summary>
    public ContextHop()
    {
        _executor = LocalExecutor.Current;
    }

    /// <summary>True when the caller runs on an executor (awaits must come back to it).</summary>
    public bool HasHome => _executor is not null;

    /// <summary>True when already on the executor (or when there is none to return to).</summary>
    public bool IsCompleted => _executor is null || _executor.IsOwnerThread;

    /// <summary>The awaiter.</summary>
    public ContextHop GetAwaiter() => this;

    /// <summary>Nothing to return.</summary>
    public void GetResult()
    {
    }

    /// <inheritdoc />
    public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

    /// <inheritdoc />
    public void UnsafeOnCompleted(Action continuation)
    {
        _continuation = continuation;
        _executor!.SynchronizationContext.Post(s_resume, this);
    }
}
