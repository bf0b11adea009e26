using System;
using System.Runtime.CompilerServices;

namespace ThreadPerCore.Tests;

/// <summary>
/// An awaitable that never completes on its own: it keeps the continuation it was given (for a LocalTask body, the
/// task's waker) so a test can call it when and as often as it likes, and observe the state machine's rules.
/// </summary>
internal sealed class ManualAwaitable : ICriticalNotifyCompletion
{
    private Action? _continuation;

    /// <summary>Called with the continuation right when it is registered (inside the poll).</summary>
    public Action<Action>? OnRegister { get; set; }

    public bool IsCompleted => false;

    /// <summary>The continuation registered by the last await (the task's waker).</summary>
    public Action Waker => _continuation ?? throw new InvalidOperationException("Nothing awaits this yet.");

    public bool HasWaiter => _continuation is not null;

    public ManualAwaitable GetAwaiter() => this;

    public void GetResult()
    {
    }

    public void OnCompleted(Action continuation) => Register(continuation);

    public void UnsafeOnCompleted(Action continuation) => Register(continuation);

    private void Register(Action continuation)
    {
        _continuation = continuation;
        OnRegister?.Invoke(continuation);
    }
}
