using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The box of an async method built by <see cref="LocalTaskMethodBuilder{T}"/>: the compiler's state machine inside a
/// raw task. <c>MoveNext</c> is the poll; each await registers this task's waker.
/// </summary>
internal class StateMachineTask<TStateMachine, T> : LocalTask<T>
    where TStateMachine : IAsyncStateMachine
{
    public TStateMachine StateMachine = default!;

    /// <summary>What this task waits on (a local task registered through the builder door, a local channel wait), until
    /// its next poll: a cancel withdraws the registration, so the awaited thing neither keeps this task alive nor keeps
    /// what it set aside for it. Owner thread.</summary>
    public IAwaitedByTask? Awaiting;

    public StateMachineTask(TaskQueue queue)
        : base(queue)
    {
    }

    internal override object? DiagnosticBody => typeof(TStateMachine);

    private protected override void Poll()
    {
        ExecutionContext? context = BodyContext;
        if (context is not null && context != _queue.Executor.LoopContext)
        {
            // The loop restores its own context after every work item, so no restore is needed here.
            ExecutionContext.Restore(context);
        }

        Awaiting = null; // whatever it waited on woke it (or it is starting): an await in this step registers anew
        StateMachine.MoveNext();
    }

    private protected override void WithdrawFromAwaited()
    {
        IAwaitedByTask? awaited = Awaiting;
        if (awaited is not null)
        {
            Awaiting = null;
            awaited.Withdraw(this);
        }
    }

    internal override void RememberAwaited(IAwaitedByTask awaited) => Awaiting = awaited;

    private protected override void ReleaseBody()
    {
        StateMachine = default!;
        BodyContext = null;
    }
}
