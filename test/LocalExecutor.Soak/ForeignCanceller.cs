using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore.Soak;

/// <summary>
/// A thread of its own that cancels raw tasks (<see cref="LocalTask.Cancel"/>) shortly after they were handed over, at
/// a random point of their life: before they ran, while they wait, as they complete. Its cancels are foreign: they
/// travel through the executor's inbox.
/// </summary>
internal sealed class ForeignCanceller : IDisposable
{
    private readonly BlockingCollection<(object Target, long NotBefore)> _queue = new(new ConcurrentQueue<(object, long)>());
    private readonly Thread _thread;
    private readonly Counter _cancels;
    private readonly Counter _tokenCancels;

    public ForeignCanceller(Ledger ledger)
    {
        _cancels = ledger.Counter("canceller.raw-task-cancels");
        _tokenCancels = ledger.Counter("canceller.token-cancels");
        _thread = new Thread(Run) { IsBackground = true, Name = "soak-canceller" };
        _thread.Start();
    }

    /// <summary>Cancels <paramref name="task"/> from this thread after about <paramref name="delayMicroseconds"/>.</summary>
    public void CancelSoon(LocalTask task, int delayMicroseconds) => Add(task, delayMicroseconds);

    /// <summary>Cancels <paramref name="source"/> from this thread after about <paramref name="delayMicroseconds"/>
    /// (the source is not disposed: the canceller may still hold it when its user is done).</summary>
    public void CancelSoon(CancellationTokenSource source, int delayMicroseconds) => Add(source, delayMicroseconds);

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    private void Add(object target, int delayMicroseconds)
    {
        if (!_queue.IsAddingCompleted)
        {
            _queue.Add((target, Stopwatch.GetTimestamp() + (delayMicroseconds * Stopwatch.Frequency / 1_000_000)));
        }
    }

    private void Run()
    {
        foreach ((object target, long notBefore) in _queue.GetConsumingEnumerable())
        {
            while (Stopwatch.GetTimestamp() < notBefore)
            {
                Thread.SpinWait(20);
            }

            if (target is LocalTask task)
            {
                task.Cancel();
                _cancels.Add();
            }
            else
            {
                ((CancellationTokenSource)target).Cancel();
                _tokenCancels.Add();
            }
        }
    }
}
