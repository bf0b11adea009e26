using System.Threading;
using Microsoft.VisualStudio.Threading;

namespace ThreadPerCore;

// vs-threading on every core: one JoinableTaskContext per executor, made on first use.
public sealed partial class LocalExecutor
{
    private ExecutorJoinableTaskContext? _joinableTaskContext;

    /// <summary>
    /// The executor's <see cref="Microsoft.VisualStudio.Threading.JoinableTaskContext"/>, whose main thread is the
    /// executor's thread and whose synchronization context is <see cref="SynchronizationContext"/>. Made on first use (one
    /// per executor); use it to make <see cref="JoinableTaskCollection"/>s and factories of your own.
    /// </summary>
    public JoinableTaskContext JoinableTaskContext
    {
        get
        {
            ExecutorJoinableTaskContext? context = Volatile.Read(ref _joinableTaskContext);
            if (context is null)
            {
                var made = new ExecutorJoinableTaskContext(this);
                context = Interlocked.CompareExchange(ref _joinableTaskContext, made, null) ?? made;
            }

            return context;
        }
    }

    /// <summary>
    /// vs-threading's <see cref="Microsoft.VisualStudio.Threading.JoinableTaskFactory"/> with this executor's thread as
    /// the main thread: the way to wait synchronously for async work without deadlocks.
    /// <list type="bullet">
    /// <item><c>await executor.JoinableTaskFactory.SwitchToMainThreadAsync()</c> moves an async method onto the executor
    /// (it completes at once on the executor thread).</item>
    /// <item><c>executor.JoinableTaskFactory.Run(async () => ...)</c> from any other thread blocks that thread until the
    /// body completes; the body's work on the core runs on the core meanwhile.</item>
    /// <item><c>Run</c> on the executor thread itself (nested in a turn) completes too: while it waits, the thread runs
    /// the executor's work (its queues, timers and sockets) as a nested loop, so a body that awaits local work (a
    /// <see cref="LocalTask"/>, a spawn, <c>LocalExecutor.Delay</c>) finishes. Other queued work of the core
    /// may run inside that wait, so state the waiting turn was in the middle of changing can be seen by it: prefer
    /// <c>await</c> on the core and keep <c>Run</c> for synchronous entry points that cannot be async.</item>
    /// </list>
    /// </summary>
    public JoinableTaskFactory JoinableTaskFactory => JoinableTaskContext.Factory;

    /// <summary>
    /// <c>await executor.SwitchTo()</c> moves an async method (a <see cref="System.Threading.Tasks.Task"/> method or a
    /// lambda) onto this executor's thread; on that thread already it does not yield. Costs one queued continuation.
    /// The vs-threading analyzers know it as a method that switches to the main thread (the package ships
    /// <c>vs-threading.MainThreadSwitchingMethods.txt</c>), as they know <see cref="VerifyAccess"/> as one that asserts it.
    /// A <see cref="LocalTask"/> method stays on its own executor: awaiting another executor's switch fails there.
    /// </summary>
    /// <returns>The awaitable.</returns>
    public ExecutorSwitchAwaitable SwitchTo() => new(this);
}
