using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// How a member of a <see cref="DrainGroup"/> counts in it: busy, drained (the group was told), or about to count
/// drained (the owner published that and looks once more). The owner changes it as it finds itself drained or busy; the
/// thread of another draining executor that hands this member work sets it back to busy, so that the group never looks
/// done while that work waits in the inbox. A mutable struct: always used in place, never copied.
/// </summary>
internal struct DrainGroupCount
{
    private const int CountedBusy = 0;
    private const int CountedDrained = 1;
    private const int CountingDrained = 2;
    private int _word;

    /// <summary>True while the member counts itself drained in its group. The loop's sleep compares it with what is in
    /// flight now, so that work ending (or arriving) without a turn of its own is seen at once.</summary>
    public readonly bool CountedIdle => Volatile.Read(in _word) == CountedDrained;

    /// <summary>The owner found nothing in flight: it publishes that it is about to count itself drained, and must then
    /// look again (<see cref="FinishCountingIdle"/>). A hand-off that enqueued its work before this is either seen by that
    /// second look or sees this mark and clears it (both sides are full fences), so none is missed.</summary>
    public void BeginCountingIdle() => Interlocked.Exchange(ref _word, CountingDrained);

    /// <summary>The owner's second look: true if the member now counts drained, and the caller tells the group; false
    /// if work arrived in between (it is seen, or a hand-off cleared the mark), and the member stays busy.</summary>
    public bool FinishCountingIdle(bool stillDrained)
    {
        if (stillDrained)
        {
            return Interlocked.CompareExchange(ref _word, CountedDrained, CountingDrained) == CountingDrained;
        }

        Interlocked.CompareExchange(ref _word, CountedBusy, CountingDrained); // unless a hand-off cleared it already
        return false;
    }

    /// <summary>Counts the member busy again, from the owner (it found work in flight) or from the thread of another
    /// draining executor, after it enqueued work for this member and before it can count itself drained. True if the
    /// member had counted drained, and the caller tells the group; a member about to count drained only loses its mark.</summary>
    public bool TryCountBusy() => Interlocked.Exchange(ref _word, CountedBusy) == CountedDrained;
}
