using System;

namespace ThreadPerCore;

/// <summary>A spawned synchronous work item: one poll runs the delegate, under the execution context of the code that
/// spawned it, and completes the task.</summary>
internal sealed class DelegateTask<TState, T> : LocalTask<T>
{
    private Func<TState, T>? _work;
    private TState _argument;

    public DelegateTask(TaskQueue queue, Func<TState, T> work, TState argument)
        : base(queue)
    {
        _work = work;
        _argument = argument;
        _state = TaskState.RunsOnce; // its one poll always completes it (result, exception, or cancel by itself)
    }

    // A body without state travels as the state of a static wrapper: the state is then the user's delegate.
    private protected override void Poll()
    {
        Func<TState, T> work = _work!;
        TState argument = _argument;
        EnterSpawnContext();
        try
        {
            SetResultCore(work(argument));
        }
        catch (Exception exception)
        {
            SetExceptionCore(exception);
            return; // _work and _argument stay: they name the work if nothing observes the failure
        }

        ReleaseBody(); // after the call: while it runs, stall reports and debuggers can name the delegate
    }

    internal override object? DiagnosticBody => UserBody(_work, _argument);

    private protected override void ReleaseBody()
    {
        _work = null;
        _argument = default!;
        BodyContext = null;
    }
}
