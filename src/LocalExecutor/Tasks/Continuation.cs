using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// An await continuation with the place it must resume: a local task queue, another synchronization context, a
/// task scheduler, or the thread pool; and the execution context to run it under when the awaiter flows one.
/// Allocated only off the zero-allocation paths (other threads, other contexts, <c>OnCompleted</c>).
/// </summary>
internal sealed class Continuation
{
    private readonly Delegate _callback;
    private readonly object? _state;
    private readonly object? _target;
    private readonly ExecutionContext? _context;
    private readonly bool _runInline;

    public Continuation(Action action, bool flowExecutionContext)
    {
        _callback = action;
        _target = CaptureTarget();
        _context = flowExecutionContext ? ExecutionContext.Capture() : null;
    }

    public Continuation(Action<object?> callback, object? state, object? target, ExecutionContext? context, bool runInline)
    {
        _callback = callback;
        _state = state;
        _target = target;
        _context = context;
        _runInline = runInline;
    }

    /// <summary>Where <c>await</c> would resume the current code, following the runtime's own order.</summary>
    public static object? CaptureTarget()
    {
        SynchronizationContext? context = SynchronizationContext.Current;
        if (context is LocalSynchronizationContext local)
        {
            return local.Queue;
        }

        if (context is not null && context.GetType() != typeof(SynchronizationContext))
        {
            return context;
        }

        TaskScheduler scheduler = TaskScheduler.Current;
        if (scheduler is LocalTaskScheduler localScheduler)
        {
            return localScheduler.Queue;
        }

        return scheduler == TaskScheduler.Default ? null : scheduler;
    }

    /// <summary>Sends the continuation to where it resumes; never runs user code on the caller's stack unless asked.</summary>
    public void Run()
    {
        if (_runInline)
        {
            Invoke();
            return;
        }

        switch (_target)
        {
            case TaskQueue queue:
                if (_callback is Action action)
                {
                    queue.Executor.Post(queue, WorkKind.Action, action, null, _context);
                }
                else
                {
                    queue.Executor.Post(queue, WorkKind.StateAction, _callback, _state, _context);
                }

                break;
            case SynchronizationContext context:
#pragma warning disable VSTHRD001 // resuming on the awaiter's own context is the job here
                context.Post(static self => ((Continuation)self!).Invoke(), this);
#pragma warning restore VSTHRD001
                break;
            case TaskScheduler scheduler:
                _ = Task.Factory.StartNew(static self => ((Continuation)self!).Invoke(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                break;
            default:
                ThreadPool.UnsafeQueueUserWorkItem(static self => self.Invoke(), this, preferLocal: false);
                break;
        }
    }

    private void Invoke()
    {
        if (_context is null)
        {
            Call();
        }
        else
        {
            ExecutionContext.Run(_context, static self => ((Continuation)self!).Call(), this);
        }
    }

    private void Call()
    {
        if (_callback is Action action)
        {
            action();
        }
        else
        {
            ((Action<object?>)_callback)(_state);
        }
    }
}
