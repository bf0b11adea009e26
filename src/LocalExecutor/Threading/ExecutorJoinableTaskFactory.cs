using System.Threading.Tasks;
using Microsoft.VisualStudio.Threading;

namespace ThreadPerCore;

/// <summary>
/// A <see cref="JoinableTaskFactory"/> whose synchronous waits on the executor thread run the executor's work instead
/// of blocking it. vs-threading's main thread only runs the work of the joinable tasks it waits for; here almost
/// everything awaited is the core's own work (spawns, raw tasks, the executor's timers and sockets), which only this
/// thread can run, so <c>Run</c> on the core keeps the loop going until its task completes.
/// </summary>
internal sealed class ExecutorJoinableTaskFactory : JoinableTaskFactory
{
    private readonly LocalExecutor _executor;

    public ExecutorJoinableTaskFactory(LocalExecutor executor, JoinableTaskContext context)
        : base(context)
    {
        _executor = executor;
    }

    public ExecutorJoinableTaskFactory(LocalExecutor executor, JoinableTaskCollection collection)
        : base(collection)
    {
        _executor = executor;
    }

    /// <inheritdoc />
    protected override void WaitSynchronouslyCore(Task task)
    {
        if (_executor.IsOwnerThread)
        {
            _executor.PumpUntil(task);
        }
        else
        {
            base.WaitSynchronouslyCore(task);
        }
    }
}
