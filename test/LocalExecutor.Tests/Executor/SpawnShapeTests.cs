using System;
using System.Linq;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>
/// Every awaitable body shape binds to its own overload, at every spawn-like entry point: the body's task is waited
/// for and its exception surfaces. Bound to <c>Spawn&lt;T&gt;(Func&lt;T&gt;)</c> instead, the spawn would complete as soon
/// as the body returned its task, successfully, with the failure lost inside the unawaited result.
/// </summary>
public sealed class SpawnShapeTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(SpawnShapeTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task Spawn_of_a_method_returning_LocalTask_returns_the_methods_own_task_and_surfaces_its_exception()
    {
        var gate = new TaskCompletionSource();
        LocalTask? created = null;

        LocalTask spawned = _executor.Spawn(() => created = FailAfterAsync(gate.Task, "local"));

        spawned.Should().BeSameAs(created, "the method's task is the raw task: nothing wraps it");
        await AssertWaitsThenFails(spawned, gate, "local");
    }

    [Fact]
    public async Task Spawn_of_a_method_returning_LocalTask_of_T_returns_its_result()
    {
        var gate = new TaskCompletionSource();
        LocalTask<int> spawned = _executor.Spawn(() => ValueAfterAsync(gate.Task, 7));

        await _executor.Drain();
        spawned.IsCompleted.Should().BeFalse("the spawn waits for the method");
        gate.SetResult();
        (await spawned.Within("the method")).Should().Be(7);
    }

    [Fact]
    public async Task Spawn_of_a_ValueTask_body_waits_for_it_and_surfaces_its_exception()
    {
        var gate = new TaskCompletionSource();
        LocalTask spawned = _executor.Spawn(() => FailAfterValueTaskAsync(gate.Task, "value task"));
        await AssertWaitsThenFails(spawned, gate, "value task");
    }

    [Fact]
    public async Task Spawn_of_a_ValueTask_of_T_backed_by_a_pooled_source_reads_its_result_once()
    {
        Channel<int> channel = Channel.CreateUnbounded<int>();

        LocalTask<int> spawned = _executor.Spawn(() => channel.Reader.ReadAsync());
        await _executor.Drain();
        spawned.IsCompleted.Should().BeFalse("the read is pending until an item is written");
        channel.Writer.TryWrite(42).Should().BeTrue();

        (await spawned.Within("the channel read")).Should().Be(42);
    }

    [Fact]
    public async Task Spawn_with_state_of_each_awaitable_shape_waits_for_the_body()
    {
        var gate = new TaskCompletionSource();
        LocalTask local = _executor.Spawn(static g => FailAfterAsync(g, "local with state"), gate.Task);
        LocalTask valueTask = _executor.Spawn(static g => FailAfterValueTaskAsync(g, "value task with state"), gate.Task);
        LocalTask task = _executor.Spawn(static async g =>
        {
            await g;
            throw new InvalidOperationException("task with state");
        }, gate.Task);
        LocalTask<int> localOfT = _executor.Spawn(static g => ValueAfterAsync(g, 3), gate.Task);
        LocalTask<int> valueTaskOfT = _executor.Spawn(static async g =>
        {
            await g;
            return 4;
        }, gate.Task);

        await _executor.Drain();
        new[] { local, valueTask, task, localOfT, valueTaskOfT }.Should().OnlyContain(t => !t.IsCompleted, "every shape waits for its body");
        gate.SetResult();

        await Expect(local, "local with state");
        await Expect(valueTask, "value task with state");
        await Expect(task, "task with state");
        (await localOfT.Within("the local method with state")).Should().Be(3);
        (await valueTaskOfT.Within("the async body with state")).Should().Be(4);
    }

    [Fact]
    public async Task Spawn_into_a_task_queue_of_each_awaitable_shape_waits_for_the_body()
    {
        TaskQueueHandle queue = _executor.CreateTaskQueue("shapes", 100);
        var gate = new TaskCompletionSource();
        LocalTask local = _executor.Spawn(queue, () => FailAfterAsync(gate.Task, "local in queue"));
        LocalTask valueTask = _executor.Spawn(queue, () => FailAfterValueTaskAsync(gate.Task, "value task in queue"));
        LocalTask withState = _executor.Spawn(queue, static g => FailAfterAsync(g, "local with state in queue"), gate.Task);
        LocalTask<int> valueTaskOfT = _executor.Spawn(queue, () => new ValueTask<int>(gate.Task.ContinueWith(_ => 5, TaskScheduler.Default)));
        LocalTask started = _executor.Start(queue, async () =>
        {
            await gate.Task;
            throw new InvalidOperationException("started in queue");
        });

        await _executor.Drain();
        new[] { local, valueTask, withState, valueTaskOfT, started }.Should().OnlyContain(t => !t.IsCompleted);
        gate.SetResult();

        await Expect(local, "local in queue");
        await Expect(valueTask, "value task in queue");
        await Expect(withState, "local with state in queue");
        await Expect(started, "started in queue");
        (await valueTaskOfT.Within("the value task in the queue")).Should().Be(5);
    }

    [Fact]
    public async Task A_started_body_that_returns_null_fails_like_a_spawned_body_returning_a_null_task()
    {
        LocalTask<int> startedOfT = _executor.Start<int>(() => null!);
        LocalTask started = _executor.Start(() => (LocalTask)null!);
#pragma warning disable VSTHRD114 // the null task is the point
        LocalTask spawnedTask = _executor.Spawn(() => (Task)null!);
#pragma warning restore VSTHRD114

        Exception expected = (await FluentActions.Awaiting(() => spawnedTask.Within("the spawn")).Should().ThrowAsync<InvalidOperationException>()).Which;
        (await FluentActions.Awaiting(() => startedOfT.Within("the start")).Should().ThrowAsync<InvalidOperationException>())
            .WithMessage(expected.Message);
        (await FluentActions.Awaiting(() => started.Within("the start")).Should().ThrowAsync<InvalidOperationException>())
            .WithMessage(expected.Message);
    }

    [Fact]
    public async Task Pool_SpawnOn_of_each_awaitable_shape_waits_for_the_body_on_the_keys_shard()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        var gate = new TaskCompletionSource();
        LocalExecutor owner = pool.ExecutorFor("key");
        LocalTask local = pool.SpawnOn("key", () => FailAfterAsync(gate.Task, "local on shard"));
        LocalTask valueTask = pool.SpawnOn("key", () => FailAfterValueTaskAsync(gate.Task, "value task on shard"));
        LocalTask task = pool.SpawnOn("key", async () =>
        {
            await gate.Task;
            throw new InvalidOperationException("task on shard");
        });
        LocalTask<LocalExecutor?> onShard = pool.SpawnOn("key", () => WhereAfterAsync(gate.Task));
        LocalTask started = pool.StartOn("key", async () =>
        {
            await gate.Task;
            throw new InvalidOperationException("started on shard");
        });

        await owner.Drain();
        new LocalTask[] { local, valueTask, task, onShard, started }.Should().OnlyContain(t => !t.IsCompleted);
        gate.SetResult();

        await Expect(local, "local on shard");
        await Expect(valueTask, "value task on shard");
        await Expect(task, "task on shard");
        await Expect(started, "started on shard");
        (await onShard.Within("the shard's method")).Should().BeSameAs(owner, "the method ran on the key's executor");
    }

    [Fact]
    public async Task RunOnAllShards_awaits_bodies_without_a_value_and_reports_each_shards_failure()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(3));
        int finished = 0;

        ShardResult[] results = await pool.RunOnAllShards(async shard =>
        {
            await Task.Delay(5);
            if (shard == 1)
            {
                throw new InvalidOperationException("shard one broke");
            }

            System.Threading.Interlocked.Increment(ref finished);
        }).Within("every shard");

        finished.Should().Be(2, "the call completes only once every body finished");
        results.Select(r => r.Shard).Should().Equal(0, 1, 2);
        results.Select(r => r.IsSuccess).Should().Equal(true, false, true);
        results[1].Exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("shard one broke");
        FluentActions.Invoking(() => results[1].ThrowIfFailed()).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task RunOnAllShards_starts_local_and_value_task_bodies_on_each_shard()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));

        ShardResult<int>[] local = await pool.RunOnAllShards(shard => ShardIndexAsync(pool, shard)).Within("the local bodies");
        ShardResult<int>[] valueTasks = await pool.RunOnAllShards(shard => new ValueTask<int>(Task.Delay(1).ContinueWith(_ => shard * 10, TaskScheduler.Default)))
            .Within("the value-task bodies");
        ShardResult[] localVoid = await pool.RunOnAllShards(shard => FailAfterAsync(Task.CompletedTask, $"shard {shard}")).Within("the failing local bodies");

        local.Select(r => r.Value).Should().Equal(0, 1);
        valueTasks.Select(r => r.Value).Should().Equal(0, 10);
        localVoid.Select(r => r.Exception?.Message).Should().Equal("shard 0", "shard 1");
    }

    private async Task AssertWaitsThenFails(LocalTask spawned, TaskCompletionSource gate, string message)
    {
        await _executor.Drain();
        spawned.IsCompleted.Should().BeFalse("the spawn waits for the body's task");
        gate.SetResult();
        await Expect(spawned, message);
    }

    private static async Task Expect(LocalTask task, string message) =>
        (await FluentActions.Awaiting(() => task.Within(message)).Should().ThrowAsync<InvalidOperationException>()).WithMessage(message);

    private static async LocalTask FailAfterAsync(Task gate, string message)
    {
        await gate;
        throw new InvalidOperationException(message);
    }

    private static async ValueTask FailAfterValueTaskAsync(Task gate, string message)
    {
        await gate;
        throw new InvalidOperationException(message);
    }

    private static async LocalTask<int> ValueAfterAsync(Task gate, int value)
    {
        await gate;
        return value;
    }

    private static async LocalTask<LocalExecutor?> WhereAfterAsync(Task gate)
    {
        await gate;
        return LocalExecutor.Current;
    }

    private static async LocalTask<int> ShardIndexAsync(LocalExecutorPool pool, int shard)
    {
        await Task.Yield();
        return LocalExecutor.Current == pool[shard] ? shard : -1;
    }
}
