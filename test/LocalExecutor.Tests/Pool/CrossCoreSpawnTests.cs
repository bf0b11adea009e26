using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Pool;

public sealed class CrossCoreSpawnTests
{
    private static readonly TimeSpan Bound = Bounded.Timeout;

    [Fact]
    public async Task A_spawn_from_a_thread_pool_thread_runs_on_the_target_and_resumes_on_the_thread_pool()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));

        (LocalExecutor? ranOn, LocalExecutor? resumedOn, bool resumedOnPool) = await Task.Run(async () =>
        {
            LocalExecutor? inner = await pool[1].Spawn(() => LocalExecutor.Current);
            return (inner, LocalExecutor.Current, Thread.CurrentThread.IsThreadPoolThread);
        }).WaitAsync(Bound);

        ranOn.Should().BeSameAs(pool[1]);
        resumedOn.Should().BeNull("the awaiting code was on the thread pool and comes back there");
        resumedOnPool.Should().BeTrue();
    }

    [Fact]
    public async Task A_spawn_from_another_executor_resumes_on_the_awaiting_executor_thread()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        LocalExecutor a = pool[0];
        LocalExecutor b = pool[1];

        (Thread ranOn, Thread resumedOn) = await a.Spawn(async Task<(Thread, Thread)> () =>
        {
            Thread inner = await b.Spawn(() => Thread.CurrentThread);
            return (inner, Thread.CurrentThread);
        }).AsTask().WaitAsync(Bound);

        ranOn.Should().BeSameAs(b.Thread);
        resumedOn.Should().BeSameAs(a.Thread);
    }

    [Fact]
    public async Task A_local_task_method_awaiting_another_executor_resumes_on_its_own_executor()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        LocalExecutor a = pool[0];
        LocalExecutor b = pool[1];

        (Thread ranOn, Thread resumedOn) = await a.Start(() => AwaitOtherAsync(b)).AsTask().WaitAsync(Bound);

        ranOn.Should().BeSameAs(b.Thread);
        resumedOn.Should().BeSameAs(a.Thread);
    }

    [Fact]
    public async Task An_async_body_spawned_across_cores_keeps_its_awaits_on_the_target()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        LocalExecutor b = pool[1];

        bool allOnB = await pool[0].Spawn(async Task<bool> () =>
        {
            return await b.Spawn(async Task<bool> () =>
            {
                bool first = b.IsOwnerThread;
                await Task.Run(() => { });
                bool second = b.IsOwnerThread;
                await Task.Yield();
                return first && second && b.IsOwnerThread;
            });
        }).AsTask().WaitAsync(Bound);

        allOnB.Should().BeTrue();
    }

    [Fact]
    public async Task An_exception_on_the_target_travels_back_to_the_awaiting_executor()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        LocalExecutor a = pool[0];
        LocalExecutor b = pool[1];

        (string message, bool onA) = await a.Spawn(async Task<(string, bool)> () =>
        {
            try
            {
                await b.Spawn(int () => throw new InvalidOperationException("boom on b"));
                return ("no exception", false);
            }
            catch (InvalidOperationException exception)
            {
                return (exception.Message, a.IsOwnerThread);
            }
        }).AsTask().WaitAsync(Bound);

        message.Should().Be("boom on b");
        onA.Should().BeTrue();
    }

    [Fact]
    public async Task Cancelling_a_suspended_task_on_another_executor_reaches_the_awaiter_on_its_thread()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        LocalExecutor a = pool[0];
        LocalExecutor b = pool[1];
        var never = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        (Type exceptionType, bool onA, bool targetCanceled) = await a.Spawn(async Task<(Type, bool, bool)> () =>
        {
            LocalTask<int> remote = b.Spawn(() => SuspendForeverAsync(started, never.Task));
            await started.Task;
            remote.Cancel(); // from executor a, for a task owned by b: goes through b's inbox
            try
            {
                await remote;
                return (typeof(void), false, false);
            }
            catch (OperationCanceledException exception)
            {
                return (exception.GetType(), a.IsOwnerThread, remote.IsCanceled);
            }
        }).AsTask().WaitAsync(Bound);

        exceptionType.Should().Be<TaskCanceledException>();
        onA.Should().BeTrue();
        targetCanceled.Should().BeTrue();
    }

    [Fact]
    public async Task A_body_that_throws_operation_canceled_is_seen_as_cancelled_by_the_awaiter()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        LocalTask<int> task = pool[1].Spawn(int () =>
        {
            cts.Token.ThrowIfCancellationRequested();
            return 1;
        });

        Func<Task> act = () => task.AsTask().WaitAsync(Bound);
        (await act.Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(cts.Token);
        task.IsCanceled.Should().BeTrue();
    }

    [Fact]
    public async Task Many_executors_spawn_on_each_other_concurrently_and_every_result_arrives()
    {
        const int perExecutor = 2000;
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(4));

        ShardResult<long>[] results = await pool.RunOnAllShards(async shard =>
        {
            long sum = 0;
            for (int i = 0; i < perExecutor; i++)
            {
                LocalExecutor target = pool[(shard + 1 + (i % (pool.Count - 1))) % pool.Count];
                int value = i;
                sum += await target.Spawn(() => value);
                if (!pool[shard].IsOwnerThread)
                {
                    throw new InvalidOperationException($"shard {shard} resumed off its thread");
                }
            }

            return sum;
        }).WaitAsync(TimeSpan.FromSeconds(30));

        long expected = (long)perExecutor * (perExecutor - 1) / 2;
        results.Should().OnlyContain(r => r.IsSuccess && r.Value == expected);
    }

    private static async LocalTask<(Thread, Thread)> AwaitOtherAsync(LocalExecutor other)
    {
        Thread inner = await other.Spawn(() => Thread.CurrentThread);
        return (inner, Thread.CurrentThread);
    }

    private static async Task<int> SuspendForeverAsync(TaskCompletionSource started, Task<int> never)
    {
        started.SetResult();
        return await never;
    }
}
