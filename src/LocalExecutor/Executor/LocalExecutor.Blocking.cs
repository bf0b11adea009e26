using System;
using System.Text;
using System.Threading;

namespace ThreadPerCore;

// Blocking calls between executors. An executor thread that blocks in one of the library's blocking calls (Send into
// another executor, RemoveTaskQueue or Dispose of another executor) records which executor it waits for. A cycle of
// such waits (two executors sending into each other) then fails at once with an exception that names it, instead of
// hanging every thread in it; and a Dispose that times out can say what the thread it waited for is doing.
public sealed partial class LocalExecutor
{
    /// <summary>The longest chain of blocked executors followed when looking for a cycle: far more executors than a
    /// machine has cores, and a bound on the walk should links change under it.</summary>
    private const int MaxBlockingChain = 1024;

    // The executor this executor's thread waits for in a blocking call, and which call. Written by the owner thread
    // (Interlocked, so that its announcement is ordered before it reads the others'), read by any thread.
    private LocalExecutor? _blockedOn;
    private BlockingCall _blockedIn;

    /// <summary>The library's calls that block the calling thread until another executor acts.</summary>
    internal enum BlockingCall : byte
    {
        /// <summary>Not blocked.</summary>
        None,

        /// <summary><see cref="LocalSynchronizationContext.Send"/> from another thread.</summary>
        Send,

        /// <summary><see cref="RemoveTaskQueue"/> from another thread.</summary>
        RemoveTaskQueue,

        /// <summary><see cref="Dispose"/> from another thread.</summary>
        Dispose,
    }

    /// <summary>
    /// Announces that the calling thread, if it is an executor's, is about to block until <paramref name="target"/>
    /// acts, and throws <see cref="InvalidOperationException"/> if <paramref name="target"/> is itself blocked, directly
    /// or through other executors, on the caller's executor: that wait could never end. Dispose the returned scope when
    /// the wait is over. Costs nothing on threads that are not executor threads.
    /// </summary>
    /// <remarks>Both sides announce with a full fence before they look at the other (a Dekker handshake), so of two
    /// executors that start blocking on each other at the same time, at least one sees the cycle.</remarks>
    internal static BlockingScope EnterBlockingCall(LocalExecutor target, BlockingCall call)
    {
        LocalExecutor? self = t_current;
        if (self is null || self == target)
        {
            return default;
        }

        self._blockedIn = call;
        Interlocked.Exchange(ref self._blockedOn, target);
        LocalExecutor? next = target;
        for (int i = 0; i < MaxBlockingChain && next is not null; i++)
        {
            if (next == self)
            {
                string cycle = DescribeBlockingChain(target, self);
                Volatile.Write(ref self._blockedOn, null);
                throw new InvalidOperationException(
                    $"{Describe(call)} executor '{target.Name}' from the thread of executor '{self.Name}' would deadlock: {cycle}. "
                    + "An executor thread must not block on an executor that waits for it; use Post, or await a Spawn, instead of Send.");
            }

            next = Volatile.Read(ref next._blockedOn);
        }

        return new BlockingScope(self);
    }

    /// <summary>What this executor's thread is blocked in, or null when it is not in one of the library's blocking calls.</summary>
    private string? DescribeBlockingCall()
    {
        LocalExecutor? target = Volatile.Read(ref _blockedOn);
        return target is null ? null : $"blocked in {Describe(_blockedIn)} executor '{target.Name}', " + DescribeBlockingChain(target, this);
    }

    private static string DescribeBlockingChain(LocalExecutor from, LocalExecutor stop)
    {
        var text = new StringBuilder();
        LocalExecutor? current = from;
        for (int i = 0; i < 8 && current is not null; i++)
        {
            LocalExecutor? next = Volatile.Read(ref current._blockedOn);
            if (i > 0)
            {
                text.Append(", ");
            }

            if (next is null)
            {
                text.Append('\'').Append(current.Name).Append("' is not blocked on another executor");
                break;
            }

            text.Append('\'').Append(current.Name).Append("' is blocked in ").Append(Describe(current._blockedIn))
                .Append(" executor '").Append(next.Name).Append('\'');
            if (next == stop)
            {
                break;
            }

            current = next;
        }

        return text.ToString();
    }

    private static string Describe(BlockingCall call) => call switch
    {
        BlockingCall.Send => "Send into",
        BlockingCall.RemoveTaskQueue => "RemoveTaskQueue on",
        BlockingCall.Dispose => "Dispose of",
        _ => "a call on",
    };

    /// <summary>Ends an announced blocking call (see <see cref="EnterBlockingCall"/>).</summary>
    internal readonly struct BlockingScope : IDisposable
    {
        private readonly LocalExecutor? _blocked;

        public BlockingScope(LocalExecutor blocked) => _blocked = blocked;

        public void Dispose()
        {
            if (_blocked is not null)
            {
                Volatile.Write(ref _blocked._blockedOn, null);
            }
        }
    }
}
