using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Benchmarks.Infrastructure;

/// <summary>
/// A reusable one-shot signal a task awaits and another thread sets, with no allocation per round. The awaiting
/// code resumes where it awaited: on its SynchronizationContext or TaskScheduler if it has one, else on the thread
/// pool (never inline on the setting thread), so each peer pays its own cross-thread wake.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>Waits for the next <see cref="Set"/>. One waiter at a time; the signal resets when the wait ends.</summary>
    public ValueTask WaitAsync() => new(this, _core.Version);

    /// <summary>Sets the signal; call once per <see cref="WaitAsync"/>, after the previous wait ended.</summary>
    public void Set() => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token)
    {
        _core.GetResult(token);
        _core.Reset();
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(System.Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
