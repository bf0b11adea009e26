using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The target of a raw task's cached wake delegate, which awaitables other than our own (a <see cref="System.Threading.Tasks.Task"/>,
/// a <see cref="System.Threading.Tasks.ValueTask"/>, any custom awaiter) hold until they complete. A cancelled task
/// detaches it, so an awaitable that completes late, or never, keeps only this relay alive, not the task and its body.
/// </summary>
internal sealed class WakeRelay
{
    private LocalTask? _task;

    public WakeRelay(LocalTask task) => _task = task;

    /// <summary>The task this relay wakes; null once detached.</summary>
    public LocalTask? Task => Volatile.Read(ref _task);

    /// <summary>Wakes the task from any thread, unless it was detached (a wake of a cancelled task does nothing anyway).</summary>
    public void Wake()
    {
        LocalTask? task = Volatile.Read(ref _task);
        if (task is not null)
        {
            task.Wake();
        }
    }

    /// <summary>Lets go of the task (owner thread, once the task will never run again).</summary>
    public void Detach() => Volatile.Write(ref _task, null);
}
