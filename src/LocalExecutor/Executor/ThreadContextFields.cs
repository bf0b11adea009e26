using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// Direct reads of a thread's current execution and synchronization contexts. <see cref="ExecutionContext.Capture"/>
/// and <see cref="SynchronizationContext.Current"/> each find the current thread through thread-local storage, which on
/// Linux is a call into <c>__tls_get_addr</c>; the executor already holds its own <see cref="Thread"/>, so the loop's
/// per-item hygiene checks read the two fields off it instead. Only the owner thread calls these for its own thread.
/// </summary>
internal static class ThreadContextFields
{
    /// <summary>False if this runtime's <see cref="Thread"/> lacks the fields (another runtime, or a later version that
    /// renamed them): callers then use the public, slower properties. A static readonly bool, so the JIT folds the test.</summary>
    public static readonly bool Available = Probe();

    /// <summary>The thread's raw execution context field: null stands for the default context.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_executionContext")]
    public static extern ref ExecutionContext? ExecutionContext(Thread thread);

    /// <summary>The thread's synchronization context field (what <see cref="SynchronizationContext.Current"/> returns).</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_synchronizationContext")]
    public static extern ref SynchronizationContext? SynchronizationContext(Thread thread);

    private static bool Probe()
    {
        try
        {
            Thread thread = Thread.CurrentThread;
            _ = ExecutionContext(thread);
            _ = SynchronizationContext(thread);
            return true;
        }
        catch (System.MissingFieldException)
        {
            return false;
        }
    }
}
