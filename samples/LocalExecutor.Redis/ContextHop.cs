using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Redis;

/// <summary>
/// Awaits a pipe operation so that the connection's loop resumes on its executor, with no allocation: the completion
/// (a .NET socket's, on the runtime's I/O thread) is brought back through the executor's
/// <see cref="LocalSynchronizationContext"/> with a static callback and this reused object as state, and the result is
/// taken on the executor. The runtime's own way back (an await that captured the context) allocates a delegate per
/// resumption, and taking the result on the I/O thread would return the operation's pooled state machine to that
/// thread's cache instead of the executor's. A completion that happens on the executor itself (a reactor pipe's)
/// resumes inline; off any executor (the thread pool) this is a plain await.
/// </summary>
[SuppressMessage("Usage", "VSTHRD001:Avoid legacy thread switching APIs", Justification = "The context is an executor's (no UI thread); the post is the hop back to it.")]
[SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "GetResult runs only once the operation completed, as an awaiter's does.")]
internal sealed class ContextHop
{
    private static readonly SendOrPostCallback s_resume = static state => ((ContextHop)state!).Resume();

    private readonly LocalExecutor? _executor;
    private readonly Action _onCompleted;
    private Action? _continuation;

    /// <summary>Creates the hop back to the executor running the caller, if any.</summary>
    public ContextHop()
    {
        _executor = LocalExecutor.Current;
        _onCompleted = OnCompleted;
    }

    /// <summary>Awaits <paramref name="operation"/>, resuming on the caller's executor.</summary>
    public Awaitable<T> Await<T>(ValueTask<T> operation) => new(this, operation);

    private void OnCompleted()
    {
        if (_executor!.IsOwnerThread)
        {
            Resume();
        }
        else
        {
            _executor.SynchronizationContext.Post(s_resume, this);
        }
    }

    private void Resume()
    {
        Action continuation = _continuation!;
        _continuation = null;
        continuation();
    }

    /// <summary>The awaitable of <see cref="Await{T}"/>.</summary>
    public readonly struct Awaitable<T> : ICriticalNotifyCompletion
    {
        private readonly ContextHop _hop;
        private readonly ValueTask<T> _operation;

        internal Awaitable(ContextHop hop, ValueTask<T> operation)
        {
            _hop = hop;
            _operation = operation;
        }

        /// <summary>True when the operation completed synchronously.</summary>
        public bool IsCompleted => _operation.IsCompleted;

        /// <summary>The awaiter.</summary>
        public Awaitable<T> GetAwaiter() => this;

        /// <summary>The operation's result, taken on the executor.</summary>
        public T GetResult() => _operation.GetAwaiter().GetResult();

        /// <inheritdoc />
        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        /// <inheritdoc />
        public void UnsafeOnCompleted(Action continuation)
        {
            if (_hop._executor is null)
            {
                _operation.ConfigureAwait(true).GetAwaiter().UnsafeOnCompleted(continuation);
                return;
            }

            _hop._continuation = continuation;
            _operation.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_hop._onCompleted);
        }
    }
}
