using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// A spawned body that returns a <see cref="Task"/>: the first poll calls it on the executor, under the execution
/// context of the code that spawned it, and the task completes with the body's task. The body runs under the
/// executor's synchronization context, so its task almost always completes on the executor thread: the waker is
/// registered with context capture, which the runtime runs inline there (one hop, where a context-free registration
/// would detour through the thread pool).
/// </summary>
[SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "The result getters only run on completed tasks.")]
internal sealed class TaskBodyTask<TState, T> : LocalTask<T>
{
    private readonly Func<Task, T> _getResult;
    private Func<TState, Task>? _body;
    private TState _argument;
    private Task? _running;

    public TaskBodyTask(TaskQueue queue, Func<TState, Task> body, TState argument, Func<Task, T> getResult)
        : base(queue)
    {
        _body = body;
        _argument = argument;
        _getResult = getResult;
    }

    private protected override void Poll()
    {
        Task? running = _running;
        if (running is null)
        {
            Func<TState, Task> body = _body!;
            TState argument = _argument;
            EnterSpawnContext();
            try
            {
                running = body(argument) ?? throw ThrowHelper.NullBodyTask();
            }
            catch (Exception exception)
            {
                // _body and _argument stay set: they name the work if nothing observes the failure.
                SetExceptionCore(exception);
                return;
            }

            _body = null; // after the call: while it runs, stall reports and debuggers can name the delegate
            _argument = default!;

            if (!running.IsCompleted)
            {
                _running = running;
                running.GetAwaiter().UnsafeOnCompleted(WakeAction);
                return;
            }
        }
        else if (!running.IsCompleted)
        {
            return; // not the body's wake-up: its registration still stands, and the result getter must not block
        }

        _running = null;
        try
        {
            SetResultCore(_getResult(running));
        }
        catch (Exception exception)
        {
            _running = running; // kept, only on failure, to name the work if nothing observes the failure
            SetExceptionCore(exception);
        }
    }

    internal override object? DiagnosticBody => _body is null ? _running : UserBody(_body, _argument);

    private protected override void ReleaseBody()
    {
        _body = null;
        _argument = default!;
        _running = null;
        BodyContext = null;
    }
}
