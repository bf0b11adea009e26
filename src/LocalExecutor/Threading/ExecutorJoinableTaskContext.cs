using Microsoft.VisualStudio.Threading;

namespace ThreadPerCore;

/// <summary>
/// The <see cref="JoinableTaskContext"/> of one executor: its main thread is the executor's thread and its
/// synchronization context the executor's, and every factory it makes waits on the core by running the core's work.
/// </summary>
internal sealed class ExecutorJoinableTaskContext : JoinableTaskContext
{
    private readonly LocalExecutor _executor;

    public ExecutorJoinableTaskContext(LocalExecutor executor)
        : base(executor.Thread, executor.SynchronizationContext)
    {
        _executor = executor;
    }

    /// <inheritdoc />
    public override JoinableTaskFactory CreateFactory(JoinableTaskCollection collection) => new ExecutorJoinableTaskFactory(_executor, collection);

    /// <inheritdoc />
    protected override JoinableTaskFactory CreateDefaultFactory() => new ExecutorJoinableTaskFactory(_executor, this);
}
