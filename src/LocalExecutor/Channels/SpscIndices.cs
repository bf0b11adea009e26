using System.Runtime.InteropServices;

namespace ThreadPerCore.Channels;

/// <summary>
/// The positions of a single-producer/single-consumer ring, each group on its own pair of cache lines (128 bytes, so
/// the adjacent-line prefetcher does not pair them) so that producer and consumer do not invalidate each other's
/// lines except when one really reads what the other published.
/// </summary>
/// <remarks>
/// The two shared words hold a position shifted left by two plus two flag bits: <see cref="ClosedBit"/> and
/// <see cref="WaitingBit"/> (the reader of that word is waiting for it to move). Putting the waiting flag in the word
/// the other side publishes makes "publish and see whether the peer waits" one compare-and-swap, and "wait unless the
/// peer has published" one compare-and-swap: no separate flag, no Dekker fence pair to get wrong.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 5 * CacheLine)]
internal struct SpscIndices
{
    public const int CacheLine = 128;
    public const long WaitingBit = 1;
    public const long ClosedBit = 2;
    public const int FlagBits = 2;

    /// <summary>Producer's published position; the consumer sets <see cref="WaitingBit"/> to wait for it to move.</summary>
    [FieldOffset(1 * CacheLine)]
    public long TailWord;

    /// <summary>Consumer's published position; the producer sets <see cref="WaitingBit"/> to wait for room.</summary>
    [FieldOffset(2 * CacheLine)]
    public long HeadWord;

    /// <summary>The producer's own copy of its position (producer only).</summary>
    [FieldOffset(3 * CacheLine)]
    public long TailPosition;

    /// <summary>The last consumer position the producer saw (producer only): it re-reads <see cref="HeadWord"/> only
    /// when this says the ring is full, so a burst of sends touches the consumer's line once.</summary>
    [FieldOffset((3 * CacheLine) + 8)]
    public long HeadCache;

    /// <summary>The consumer's own copy of its position (consumer only).</summary>
    [FieldOffset(4 * CacheLine)]
    public long HeadPosition;

    /// <summary>The last producer position the consumer saw (consumer only).</summary>
    [FieldOffset((4 * CacheLine) + 8)]
    public long TailCache;
}
