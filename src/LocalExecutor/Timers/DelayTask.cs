using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// The task of <see cref="LocalExecutor.Sleep"/>: a raw task polled once, when its timer fired or its token was
/// cancelled, which then completes it. Awaiting it from an async <see cref="LocalTask"/> method registers the waker
/// directly, so a sleep costs the task, its timer entry and, with a cancellable token, the registration.
/// </summary>
/// <remarks>Every sleep is armed, an infinite one at <see cref="Deadlines.Never"/>: the executor knows of it, so shutdown
/// cancels it like any other, and a sleep armed after the stop is cancelled by the late path.</remarks>
internal sealed class DelayTask : LocalTask<VoidResult>
{
    private static readonly Action<object?> s_onCanceled = static self => ((DelayTask)self!).OnTokenCanceled();

    private readonly Entry _timer;
    private readonly CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private bool _fired;
    private volatile bool _canceled;

    private DelayTask(TaskQueue queue, CancellationToken token)
        : base(queue)
    {
        _token = token;
        _timer = new Entry(this);
    }

    public static DelayTask Start(LocalExecutor executor, TaskQueue queue, TimeSpan delay, CancellationToken token)
    {
        var task = new DelayTask(queue, token);
        if (token.IsCancellationRequested)
        {
            task._canceled = true;
            task.Wake();
            return task;
        }

        if (delay == TimeSpan.Zero)
        {
            task._fired = true;
            task.Wake();
            return task;
        }

        task._timer.Deadline = Deadlines.After(LocalExecutor.PreciseNow(), delay); // infinite or too long: never
        executor.ArmTimer(task._timer);

        if (token.CanBeCanceled)
        {
            task._registration = token.UnsafeRegister(s_onCanceled, task);
        }

        return task;
    }

    private protected override void Poll()
    {
        if (_canceled)
        {
            Executor.DisarmTimer(_timer);
            _registration.Unregister();
            SetExceptionCore(new TaskCanceledException("The sleep was cancelled.", null, _token));
        }
        else if (_fired)
        {
            _registration.Unregister();
            SetResultCore(default);
        }
    }

    private protected override void ReleaseBody()
    {
        _registration.Unregister();
        if (Executor.IsOwnerThread && _timer.IsArmed)
        {
            // Cancelled on the owner: an infinite sleep's entry would otherwise stay in the heap until shutdown. (A task
            // ended by the late path after the stop needs nothing: the owner empties its heap itself.)
            Executor.DisarmTimer(_timer);
        }
    }

    private void OnTokenCanceled()
    {
        _canceled = true;
        Wake();
    }

    private sealed class Entry : TimerEntry
    {
        private readonly DelayTask _task;

        public Entry(DelayTask task)
            : base(task.Executor) => _task = task;

        public override void OnDue(LocalExecutor executor, long now)
        {
            _task._fired = true;
            _task.WakeByRef();
        }

        public override bool IsObsolete => _task.IsCompleted;

        public override void OnShutdown() => _task.CancelAtShutdown();
    }
}
