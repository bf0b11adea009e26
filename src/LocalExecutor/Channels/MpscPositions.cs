using System.Runtime.InteropServices;

namespace ThreadPerCore.Channels;

/// <summary>The shared words of a <see cref="SharedMpscChannel{T}"/>, each on its own cache lines (non-generic: a generic type cannot have an explicit layout).</summary>
[StructLayout(LayoutKind.Explicit, Size = 5 * SpscIndices.CacheLine)]
internal struct MpscPositions
{
    public const long ClosedBit = 1;

    /// <summary>Next position to claim, shifted left by one, plus <see cref="ClosedBit"/> (producers).</summary>
    [FieldOffset(1 * SpscIndices.CacheLine)]
    public long EnqueueWord;

    /// <summary>Next position to take (consumer; read by others only for <c>Count</c>).</summary>
    [FieldOffset(2 * SpscIndices.CacheLine)]
    public long DequeuePosition;

    /// <summary>While the receive waits, one more than the position it waits at (0 when it does not wait); whoever swaps
    /// it back to 0 wakes the receive. The position keeps a thread that read one wait's flag from taking a later one's.</summary>
    [FieldOffset(3 * SpscIndices.CacheLine)]
    public long ReceiverWaitingAt;

    /// <summary>How many sends wait in the channel's list (written under its send lock, read by the consumer without
    /// it: a consumer that frees a slot and reads zero here leaves the room to the send that is just starting to wait,
    /// which counts itself with a full fence and then looks for room).</summary>
    [FieldOffset(4 * SpscIndices.CacheLine)]
    public int RoomWaitCount;
}
