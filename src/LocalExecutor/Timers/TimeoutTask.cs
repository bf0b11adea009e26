using System;

namespace ThreadPerCore;

/// <summary>
/// The task of <see cref="LocalTaskTimeoutExtensions.WithTimeout{T}(LocalTask{T}, TimeSpan)"/>: it waits for the inner
/// task and for a timer on the inner task's executor, and completes with whichever comes first. On timeout the inner
/// task is cancelled (like dropping the future in Glommio's <c>timeout</c>) and this one fails with
/// <see cref="TimeoutException"/>.
/// </summary>
internal sealed class TimeoutTask<T> : LocalTask<T>
{
    private readonly LocalTask _inner;
    private readonly TimeSpan _timeout;
    private readonly Entry _timer;
    private bool _timedOut;

    public TimeoutTask(LocalTask inner, TimeSpan timeout)
        : base(inner._queue)
    {
        _inner = inner;
        _timeout = timeout;
        _timer = new Entry(this);
    }

    public void Arm()
    {
        _timer.Deadline = Deadlines.After(LocalExecutor.PreciseNow(), _timeout); // too long to count: never
        Executor.ArmTimer(_timer);
        ((IWakerSource)_inner).RegisterWaker(this); // wakes this task at once if the inner one already finished
    }

    private protected override void Poll()
    {
        if (_inner.IsCompleted)
        {
            Executor.DisarmTimer(_timer);
            if (_inner.IsCompletedSuccessfully)
            {
                SetResultCore(_inner is LocalTask<T> typed ? typed.GetResultUnchecked() : default!);
            }
            else
            {
                SetExceptionCore(_inner.Exception!);
            }
        }
        else if (_timedOut)
        {
            _inner.Cancel();
            SetExceptionCore(new TimeoutException($"The operation did not complete within {_timeout.TotalMilliseconds} ms."));
        }
    }

    private protected override void ReleaseBody()
    {
    }

    private sealed class Entry : TimerEntry
    {
        private readonly TimeoutTask<T> _task;

        public Entry(TimeoutTask<T> task)
            : base(task.Executor) => _task = task;

        public override void OnDue(LocalExecutor executor, long now)
        {
            _task._timedOut = true;
            _task.WakeByRef();
        }

        public override bool IsObsolete => _task.IsCompleted;

        public override void OnShutdown() => _task.CancelAtShutdown();
    }
}
