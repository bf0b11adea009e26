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
                Unsafe.As<TAwaiter, IWakerSource>(ref awaiter).RegisterWaker(task);
                return true;
            }
        }
        else if (awaiter is IWakerSource source)
        {
            source.RegisterWaker(task);
            return true;
        }

        return false;
    }
}
