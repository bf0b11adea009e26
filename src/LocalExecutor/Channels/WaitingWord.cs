using System.Threading;

namespace ThreadPerCore.Channels;

/// <summary>
/// The operations on a published position word of <see cref="SharedChannel{T}"/> (<see cref="SpscIndices"/>): a position
/// shifted left by <see cref="SpscIndices.FlagBits"/>, the <see cref="SpscIndices.WaitingBit"/> its reader raises to
/// wait for it to move, and the <see cref="SpscIndices.ClosedBit"/>. Every change is one compare-and-swap, so "publish
/// and see whether the peer waits" and "wait unless the peer has published" cannot miss each other. Depends on the BCL
/// only, so the systematic tests compile and explore this very file.
/// </summary>
internal static class WaitingWord
{
    /// <summary>Raises the waiting bit unless the word moved past <paramref name="position"/> or is closed.</summary>
    /// <returns>True if the bit is up: whoever moves the word or closes it signals the waiter.</returns>
    public static bool TryRaise(ref long word, long position)
    {
        long current = Volatile.Read(ref word);
        while (true)
        {
            if ((current >> SpscIndices.FlagBits) != position || (current & SpscIndices.ClosedBit) != 0)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref word, current | SpscIndices.WaitingBit, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Lowers the waiting bit.</summary>
    /// <returns>True if this call lowered it, so nobody else will signal the wait.</returns>
    public static bool TryWithdraw(ref long word)
    {
        long current = Volatile.Read(ref word);
        while ((current & SpscIndices.WaitingBit) != 0)
        {
            long seen = Interlocked.CompareExchange(ref word, current & ~SpscIndices.WaitingBit, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>
    /// Moves the word to <paramref name="next"/> past a flag seen in <paramref name="seen"/> (the fast path's
    /// compare-and-swap failed on it), lowering the waiting bit.
    /// </summary>
    /// <param name="word">The word.</param>
    /// <param name="next">The new position.</param>
    /// <param name="seen">The word as last seen.</param>
    /// <param name="refuseWhenClosed">True for the producer's word (a closed channel takes no more items); false for the
    /// consumer's, which keeps its closed bit.</param>
    /// <param name="readerWaited">True if the word's reader was waiting: the caller signals it.</param>
    /// <returns>False if the word is closed and <paramref name="refuseWhenClosed"/>.</returns>
    public static bool TryPublish(ref long word, long next, long seen, bool refuseWhenClosed, out bool readerWaited)
    {
        while (true)
        {
            if (refuseWhenClosed && (seen & SpscIndices.ClosedBit) != 0)
            {
                readerWaited = false;
                return false;
            }

            long published = (next << SpscIndices.FlagBits) | (seen & SpscIndices.ClosedBit);
            long witnessed = Interlocked.CompareExchange(ref word, published, seen);
            if (witnessed == seen)
            {
                readerWaited = (seen & SpscIndices.WaitingBit) != 0;
                return true;
            }

            seen = witnessed;
        }
    }

    /// <summary>Sets the closed bit and lowers the waiting bit.</summary>
    /// <param name="word">The word.</param>
    /// <param name="readerWaited">True if the word's reader was waiting: the caller signals it.</param>
    /// <returns>True if this call closed the word.</returns>
    public static bool Close(ref long word, out bool readerWaited)
    {
        long current = Volatile.Read(ref word);
        while ((current & SpscIndices.ClosedBit) == 0)
        {
            long seen = Interlocked.CompareExchange(ref word, (current | SpscIndices.ClosedBit) & ~SpscIndices.WaitingBit, current);
            if (seen == current)
            {
                readerWaited = (current & SpscIndices.WaitingBit) != 0;
                return true;
            }

            current = seen;
        }

        readerWaited = false;
        return false;
    }
}
