using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// A spawned body that returns a <see cref="ValueTask{TResult}"/>: the first poll calls it on the executor, under the
/// execution context of the code that spawned it, and the task completes with the value task's outcome. The value
/// task is awaited exactly once (its result read once), as a value task backed by a pooled source requires.
/// </summary>
[SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "The value task is kept to be consumed exactly once, by this task's poll.")]
[SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "The result is read only once the value task completed.")]
internal sealed class ValueTaskBodyTask<TState, T> : LocalTask<T>
{
    private Func<TState, ValueTask<T>>? _body;
    private TState _argument;
    private ValueTask<T> _running;
    private bool _started;
    private bool _registered;
    private IAwaitedByTask? _awaiting; // what the value task's source set aside for this task (see IAwaitedByTask)

    public ValueTaskBodyTask(TaskQueue queue, Func<TState, ValueTask<T>> body, TState argument)
        : base(queue)
    {
        _body = body;
        _argument = argument;
    }

    private protected override void Poll()
    {
        if (!_started)
        {
            Func<TState, ValueTask<T>> body = _body!;
            TState argument = _argument;
            _started = true;
            EnterSpawnContext();
            try
            {
                _running = body(argument);
            }
            catch (Exception exception)
            {
                // _body and _argument stay set: they name the work if nothing observes the failure.
                SetExceptionCore(exception);
                return;
            }

            ReleaseCall(); // after the call: while it runs, stall reports and debuggers can name the delegate
        }

        ValueTaskAwaiter<T> awaiter = _running.GetAwaiter();
        if (!awaiter.IsCompleted)
        {
            if (!_registered)
            {
                _registered = true;
                awaiter.UnsafeOnCompleted(WakeAction);
            }

            return;
        }

        _awaiting = null; // the value task completed: nothing is set aside for this task any more
        try
        {
            SetResultCore(awaiter.GetResult());
        }
        catch (Exception exception)
        {
            SetExceptionCore(exception);
        }
        finally
        {
            _running = default;
        }
    }

    internal override object? DiagnosticBody => UserBody(_body, _argument);

    private void ReleaseCall()
    {
        _body = null;
        _argument = default!;
    }

    private protected override void ReleaseBody()
    {
        _body = null;
        _argument = default!;
        _running = default;
        BodyContext = null;
    }

    internal override void RememberAwaited(IAwaitedByTask awaited) => _awaiting = awaited;

    private protected override void WithdrawFromAwaited()
    {
        IAwaitedByTask? awaited = _awaiting;
        if (awaited is not null)
        {
            _awaiting = null;
            awaited.Withdraw(this);
        }
    }
}

/// <summary>A spawned body that returns a <see cref="ValueTask"/>; see <see cref="ValueTaskBodyTask{TState, T}"/>.</summary>
[SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "The value task is kept to be consumed exactly once, by this task's poll.")]
[SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "The result is read only once the value task completed.")]
internal sealed class ValueTaskBodyTask<TState> : LocalTask<VoidResult>
{
    private Func<TState, ValueTask>? _body;
    private TState _argument;
    private ValueTask _running;
    private bool _started;
    private bool _registered;
    private IAwaitedByTask? _awaiting; // what the value task's source set aside for this task (see IAwaitedByTask)

    public ValueTaskBodyTask(TaskQueue queue, Func<TState, ValueTask> body, TState argument)
        : base(queue)
    {
        _body = body;
        _argument = argument;
    }

    private protected override void Poll()
    {
        if (!_started)
        {
            Func<TState, ValueTask> body = _body!;
            TState argument = _argument;
            _started = true;
            EnterSpawnContext();
            try
            {
                _running = body(argument);
            }
            catch (Exception exception)
            {
                // _body and _argument stay set: they name the work if nothing observes the failure.
                SetExceptionCore(exception);
                return;
            }

            ReleaseCall(); // after the call: while it runs, stall reports and debuggers can name the delegate
        }

        ValueTaskAwaiter awaiter = _running.GetAwaiter();
        if (!awaiter.IsCompleted)
        {
            if (!_registered)
            {
                _registered = true;
                awaiter.UnsafeOnCompleted(WakeAction);
            }

            return;
        }

        _awaiting = null; // the value task completed: nothing is set aside for this task any more
        try
        {
            awaiter.GetResult();
            SetResultCore(default);
        }
        catch (Exception exception)
        {
            SetExceptionCore(exception);
        }
        finally
        {
            _running = default;
        }
    }

    internal override object? DiagnosticBody => UserBody(_body, _argument);

    private void ReleaseCall()
    {
        _body = null;
        _argument = default!;
    }

    private protected override void ReleaseBody()
    {
        _body = null;
        _argument = default!;
        _running = default;
        BodyContext = null;
    }

    internal override void RememberAwaited(IAwaitedByTask awaited) => _awaiting = awaited;

    private protected override void WithdrawFromAwaited()
    {
        IAwaitedByTask? awaited = _awaiting;
        if (awaited is not null)
        {
            _awaiting = null;
            awaited.Withdraw(this);
        }
    }
}
