using System;
using System.Threading;
using FluentAssertions;

namespace ThreadPerCore.Tests;

/// <summary>Holds an executor's thread in a posted callback until <see cref="Release"/>: what is sent to it meanwhile
/// queues up in its inbox in the order it is sent, and nothing runs on it (a barrier, not a sleep).</summary>
internal sealed class ExecutorHold : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly ManualResetEventSlim _held = new();

    public static ExecutorHold Of(LocalExecutor executor)
    {
        var hold = new ExecutorHold();
        executor.Post(() =>
        {
            hold._held.Set();
            hold._release.Wait(Bounded.Timeout);
        });
        hold._held.Wait(Bounded.Timeout).Should().BeTrue($"{executor.Name} to be held");
        return hold;
    }

    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _release.Dispose();
        _held.Dispose();
    }
}
