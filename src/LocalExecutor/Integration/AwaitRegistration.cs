using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// How an await inside a raw task's body hands the awaiter the task's waker, in order of cost:
/// <list type="number">
/// <item><c>Task.Yield()</c>: the task wakes itself while running and goes to the back of its queue.</item>
/// <item>Our own awaitables (<see cref="LocalTask"/>, channels, timers): the waker is registered directly.</item>
/// <item>Anything else: the task's cached wake delegate, registered like <c>await</c> would. Foreign completions call
/// it in one hop, and it routes itself to the owner; completions on the executor thread run it inline.</item>
/// </list>
/// A cancelled task must not stay reachable from what it awaited: a local task it waits on is remembered (until the
/// next poll) so the cancel can withdraw the registration, and the wake delegate goes through a relay the cancel
/// detaches (see <see cref="LocalTask.WakeAction"/>).
/// </summary>
internal static class AwaitRegistration
{
    /// <summary>Registers <paramref name="task"/>'s waker with <paramref name="awaiter"/>.</summary>
    /// <returns>The local task now holding <paramref name="task"/> as a waiter, if the awaiter is one; else null.</returns>
    public static LocalTask? Register<TAwaiter>(ref TAwaiter awaiter, LocalTask task)
        where TAwaiter : INotifyCompletion
    {
        if (TryRegisterDirect(ref awaiter, task, out LocalTask? awaited))
        {
            return awaited;
        }

        awaiter.OnCompleted(task.WakeAction);
        return null;
    }

    /// <summary>Registers <paramref name="task"/>'s waker with <paramref name="awaiter"/>, without flowing the context.</summary>
    /// <returns>The local task now holding <paramref name="task"/> as a waiter, if the awaiter is one; else null.</returns>
    public static LocalTask? RegisterUnsafe<TAwaiter>(ref TAwaiter awaiter, LocalTask task)
        where TAwaiter : ICriticalNotifyCompletion
    {
        if (TryRegisterDirect(ref awaiter, task, out LocalTask? awaited))
        {
            return awaited;
        }

        awaiter.UnsafeOnCompleted(task.WakeAction);
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryRegisterDirect<TAwaiter>(ref TAwaiter awaiter, LocalTask task, out LocalTask? awaited)
    {
        awaited = null;
        // Capture at every suspension: the body may have changed AsyncLocal values since the last one.
        task.BodyContext = ExecutionContext.Capture();

        if (typeof(TAwaiter) == typeof(YieldAwaitable.YieldAwaiter))
        {
            task.YieldNow();
            return true;
        }

        if (typeof(TAwaiter).IsValueType)
        {
            if (awaiter is IWakerSourceAwaiter)
            {
                // The awaiter's only field is its IWakerSource (see IWakerSourceAwaiter): read it without boxing.
                IWakerSource inner = Unsafe.As<TAwaiter, IWakerSource>(ref awaiter);
                inner.RegisterWaker(task);
                awaited = inner as LocalTask;
                return true;
            }
        }
        else if (awaiter is IWakerSource source)
        {
            source.RegisterWaker(task);
            awaited = source as LocalTask;
            return true;
        }

        return false;
    }
}
