using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The join side of a task, shared between threads: one field through which awaiters register their continuations
/// (from any thread) and the task's completion takes them all (once). The field holds:
/// <list type="bullet">
/// <item><c>null</c>: nobody waits yet;</item>
/// <item><see cref="Completed"/>: the task finished; a late registration is refused and runs its continuation itself;</item>
/// <item>one continuation (any object but a <see cref="ContinuationList"/>): the common case, one compare-and-swap;</item>
/// <item>a <see cref="ContinuationList"/>: several awaiters, appended under the list's lock in amortized constant time.</item>
/// </list>
/// A waiter that gives up (a raw task cancelled while it waits) removes itself, so the awaited task does not keep it
/// alive: a lone continuation is swapped out; from a list, the abandoned ones are compacted away in batches.
/// </summary>
/// <remarks>Depends only on the BCL so the systematic tests compile it and explore its interleavings.</remarks>
internal static class ContinuationSlot
{
    /// <summary>The value of a slot whose task finished.</summary>
    public static readonly object Completed = new();

    /// <summary>True once <see cref="Complete"/> ran.</summary>
    public static bool IsCompleted(ref object? slot) => Volatile.Read(ref slot) == Completed;

    /// <summary>Registers <paramref name="continuation"/>.</summary>
    /// <returns>False if the task already completed: the caller runs the continuation itself.</returns>
    public static bool TryAdd(ref object? slot, object continuation)
    {
        Debug.Assert(continuation is not ContinuationList && continuation != Completed, "a continuation is a plain object");
        object? current = Volatile.Read(ref slot);
        while (true)
        {
            if (current == Completed)
            {
                return false;
            }

            if (current is ContinuationList list)
            {
                // Lists are never replaced: once there, every later registration goes through its lock.
                return list.TryAdd(continuation);
            }

            object next = current is null ? continuation : new ContinuationList(current, continuation);
            object? seen = Interlocked.CompareExchange(ref slot, next, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Marks the slot completed and returns what was registered: null, one continuation, or a closed
    /// <see cref="ContinuationList"/> that no thread modifies any more. Once per slot.</summary>
    public static object? Complete(ref object? slot)
    {
        object? taken = Interlocked.Exchange(ref slot, Completed);
        Debug.Assert(taken != Completed, "a task completes once");
        if (taken is ContinuationList list)
        {
            // An adder that read the list before the exchange may still be appending: the lock waits for it, and an
            // adder that comes later sees the list closed and runs its continuation itself.
            list.Close();
        }

        return taken;
    }

    /// <summary>Withdraws a continuation whose owner stopped waiting (it has ended: <see cref="IAbandonable.IsAbandoned"/>
    /// is true). A lone one is removed at once; in a list, abandoned entries are dropped once they make up half of it.
    /// Does nothing once the slot completed: the completion wakes the ended owner, which ignores it.</summary>
    public static void Remove(ref object? slot, IAbandonable continuation)
    {
        object? current = Volatile.Read(ref slot);
        if (current == continuation)
        {
            current = Interlocked.CompareExchange(ref slot, null, continuation);
            if (current == continuation)
            {
                return;
            }
        }

        if (current is ContinuationList list)
        {
            list.Abandoned();
        }
    }
}

/// <summary>A continuation that can end without being run: a raw task cancelled while it waited. Its entry is useless
/// from then on, and dropping it lets the waiter be collected before the awaited task completes.</summary>
internal interface IAbandonable
{
    /// <summary>True once the owner will never need the continuation again.</summary>
    bool IsAbandoned { get; }
}
