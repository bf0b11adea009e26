using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The executors of a pool draining together: none ends its drain while another still has work in flight, so a shard
/// finishing a request can still ask another shard, which would otherwise have found nothing to do, stopped, and refused
/// it. Each member counts itself busy until it finds itself drained, and busy again if work reaches it after that (only a
/// busy member can hand it some: new work from outside is refused). The member handing new work on counts the receiver
/// busy itself, before it can count itself drained, so the group never looks done while that work waits in an inbox.
/// Once every member is drained at the same time, no work can appear any more: the group is done, for good, and every
/// member ends its drain.
/// </summary>
internal sealed class DrainGroup
{
    private readonly LocalExecutor[] _members;
    private int _busy;
    private volatile bool _done;

    public DrainGroup(LocalExecutor[] members)
    {
        _members = members;
        _busy = members.Length;
    }

    /// <summary>True once every member was drained at the same time.</summary>
    public bool IsDone => _done;

    /// <summary>A member found itself drained (owner thread of that member).</summary>
    public void Idle()
    {
        if (Interlocked.Decrement(ref _busy) == 0)
        {
            _done = true;
            foreach (LocalExecutor member in _members)
            {
                member.WakeForDrain(); // members asleep with nothing in flight look again and end their drain
            }
        }
    }

    /// <summary>Work reached a member that had found itself drained.</summary>
    public void Busy() => Interlocked.Increment(ref _busy);
}
