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

    public StateMachineTask(TaskQueue queue)
        : base(queue)
    {
    }

    private protected override void Poll()
    {
        ExecutionContext? context = BodyContext;
        if (context is not null && context != _queue.Executor.LoopContext)
        {
            // The loop restores its own context after every work item, so no restore is needed here.
            ExecutionContext.Restore(context);
        }

        _awaiting = null; // whatever it waited on woke it (or it is starting): an await in this step registers anew
        StateMachine.MoveNext();
    }

    private protected override void ReleaseBody()
    {
        StateMachine = default!;
        BodyContext = null;
    }
}
