using System;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Pool;

public sealed class ShardRoutingTests
{
    private static readonly TimeSpan Bound = Bounded.Timeout;

    [Fact]
    public async Task A_faulted_shard_shows_as_its_exception_and_the_others_complete()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(3));

        ShardResult<int>[] results = await pool.RunOnAllShards(async shard =>
        {
            await Task.Yield();
            if (shard == 1)
            {
                throw new InvalidOperationException("shard one broke");
            }

            return shard + 100;
        }).WaitAsync(Bound);

        results.Select(r => r.Shard).Should().Equal(0, 1, 2);
        results[0].Value.Should().Be(100);
        results[2].Value.Should().Be(102);
        results[1].IsSuccess.Should().BeFalse();
        results[1].Exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("shard one broke");
        FluentActions.Invoking(() => results[1].Value).Should().Throw<InvalidOperationException>().WithMessage("shard one broke");
    }

    [Fact]
    public async Task Each_shard_body_runs_on_its_own_executor_and_resumes_there()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(3));

        ShardResult<bool>[] results = await pool.RunOnAllShards(async shard =>
        {
            bool before = pool[shard].IsOwnerThread;
            await Task.Run(() => { }); // completes on the thread pool: the await must come back to the shard
            return before && pool[shard].IsOwnerThread && LocalExecutor.Current == pool[shard];
        }).WaitAsync(Bound);

        results.Should().OnlyContain(r => r.Value);
    }

    [Fact]
    public async Task The_default_hash_is_stable_and_spreads_keys_over_every_shard()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(4));

        int[] counts = new int[4];
        for (int key = 0; key < 4000; key++)
        {
            int shard = pool.ShardFor(key);
            pool.ShardFor(key).Should().Be(shard);
            counts[shard]++;
        }

        counts.Should().OnlyContain(c => c > 800 && c < 1200, "a mixed hash spreads sequential keys evenly");
        pool.ShardFor<string?>(null).Should().Be(pool.ShardFor(0));
        pool.ExecutorFor("user-42").Should().BeSameAs(pool[pool.ShardFor("user-42")]);
    }

    [Fact]
    public async Task A_user_hash_is_reduced_modulo_the_shard_count()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(3));

        pool.ShardFor(7, k => k).Should().Be(1);
        pool.ShardFor(-1, k => k).Should().Be((int)(uint.MaxValue % 3));
        pool.ExecutorFor("b", k => k[0]).Should().BeSameAs(pool['b' % 3]);
        pool.Invoking(p => p.ShardFor(1, null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task SpawnOn_runs_the_work_on_the_keys_executor()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(3));

        for (int key = 0; key < 10; key++)
        {
            LocalExecutor owner = pool.ExecutorFor(key);
            LocalExecutor? ranOn = await pool.SpawnOn(key, () => LocalExecutor.Current).AsTask().WaitAsync(Bound);
            ranOn.Should().BeSameAs(owner);
            LocalExecutor? asyncRanOn = await pool.SpawnOn(key, async () =>
            {
                await Task.Yield();
                return LocalExecutor.Current;
            }).AsTask().WaitAsync(Bound);
            asyncRanOn.Should().BeSameAs(owner);
        }
    }
}
