using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Pool;

public sealed class PoolExecutorOptionsTests
{
    [Theory]
    [InlineData("PreemptTimeSlice")]
    [InlineData("StackSize")]
    [InlineData("ShutdownTimeout")]
    public void An_out_of_range_executor_setting_is_refused_before_any_executor_starts(string setting)
    {
        var options = new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2) };
        switch (setting)
        {
            case "PreemptTimeSlice": options.PreemptTimeSlice = TimeSpan.FromMicroseconds(100); break;
            case "StackSize": options.StackSize = -1; break;
            default: options.ShutdownTimeout = TimeSpan.Zero; break;
        }

        FluentActions.Invoking(() => new LocalExecutorPool(options)).Should().Throw<ArgumentOutOfRangeException>()
            .Which.ParamName.Should().Be($"options.{setting}", "the pool checks it itself instead of failing shard 0's start");
    }

    [Fact]
    public async Task The_shards_get_the_pools_reactor_and_shutdown_settings()
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions
        {
            Placement = PoolPlacement.Unbound(2),
            EnableReactor = false,
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            DrainTimeout = TimeSpan.FromMilliseconds(100), // the blocked shard cannot drain; do not wait the default 5 s first
        });
        pool.Executors.Should().OnlyContain(e => !e.HasReactor);

        using var release = new ManualResetEventSlim();
        var blocked = new TaskCompletionSource();
        pool[1].Post(() =>
        {
            blocked.SetResult();
            release.Wait();
        });
        await blocked.Task.Within("shard 1 to block");
        try
        {
            // Disposing gives up at the pool's shutdown timeout, not the 30 s default.
            await FluentActions.Awaiting(() => pool[1].DisposeAsync().AsTask().Within("the shutdown timeout"))
                .Should().ThrowAsync<ShutdownTimeoutException>();
        }
        finally
        {
            release.Set();
        }
    }
}
