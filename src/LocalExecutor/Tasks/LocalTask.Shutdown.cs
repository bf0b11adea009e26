using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

// Ending a task at shutdown. Until its executor closes its gate, the owner thread alone changes a task's state word;
// after that no thread owns it, and every thread whose late wake, cancel or timer request reaches the task may try to
// end it, so the transition is claimed with a compare-and-swap.
public abstract partial class LocalTask
{
    /// <summary>
    /// Ends the task cancelled because its executor is shutting down or has shut down; a finished task is left as it
    /// is. On the owner thread (while the executor ends its work) this is <see cref="CancelLocal"/>. Anywhere else, which
    /// only happens once the executor has closed its gate, it ends a task the executor never got to see (a spawn or a
    /// first wake racing the stop, a sleep or timeout armed as it stopped), racing other late threads for it.
    /// </summary>
    internal void CancelAtShutdown()
    {
        LocalExecutor executor = _queue.Executor;
        if (executor.IsOwnerThread)
        {
            CancelLocal();
            return;
        }

        Debug.Assert(executor.IsShutDown, "other threads touch the state word only after the owner gave it up");

        // Closed is the claim, set in one atomic step: of the late threads that reach the task, the first ends it, and
        // the others leave it as it is. A task that had finished keeps its outcome (the bit says it will never be
        // polled again, which was true already).
        int before = Interlocked.Or(ref _state, TaskState.Closed);
        if ((before & TaskState.Finished) != 0)
        {
            return;
        }

        // The live list is the owner's, and the owner empties it itself, so the finish below must not unlink the task
        // from this thread: Tracked goes first (the claim is ours, and no other thread reads it any more).
        Interlocked.And(ref _state, ~TaskState.Tracked);
        FinishCancelled();
    }
}
