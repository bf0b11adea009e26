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
    public static void Register<TAwaiter>(ref TAwaiter awaiter, LocalTask task)
        where TAwaiter : INotifyCompletion
    {
        if (TryRegisterDirect(ref awaiter, task))
        {
            return;
        }

        awaiter.OnCompleted(task.WakeAction);
    }

    public static void RegisterUnsafe<TAwaiter>(ref TAwaiter awaiter, LocalTask task)
        where TAwaiter : ICriticalNotifyCompletion
    {
        if (TryRegisterDirect(ref awaiter, task))
        {
            return;
        }

        awaiter.UnsafeOnCompleted(task.WakeAction);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryRegisterDirect<TAwaiter>(ref TAwaiter awaiter, LocalTask task)
    {
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
                RegisterOn(Unsafe.As<TAwaiter, IWakerSource>(ref awaiter), task);
                return true;
            }
        }
        else if (awaiter is IWakerSource source)
        {
            RegisterOn(source, task);
            return true;
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RegisterOn(IWakerSource source, LocalTask task)
    {
        source.RegisterWaker(task);
        if (source is LocalTask awaited)
        {
            task._awaiting = awaited;
        }
    }
}
