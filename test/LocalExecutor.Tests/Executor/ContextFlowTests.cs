using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>
/// The caller's <see cref="ExecutionContext"/> flows into every body it hands an executor, as <c>Task.Run</c> does: its
/// <see cref="AsyncLocal{T}"/> values are seen by the body (and by the body's own continuations), and what the body
/// changes stays in the body.
/// </summary>
[Collection(nameof(UsesDefaultExecutor))]
public sealed class ContextFlowTests : IAsyncLifetime
{
    private static readonly AsyncLocal<string?> Ambient = new();
    private readonly LocalExecutor _executor = Executors.Start(nameof(ContextFlowTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task The_callers_AsyncLocal_reaches_every_spawned_body_shape()
    {
        Ambient.Value = "caller";
        TaskQueueHandle queue = _executor.CreateTaskQueue("flow", 100);

        string?[] seen = await Task.WhenAll<string?>(
            _executor.Spawn<string?>(() => Ambient.Value).AsTask(),
            _executor.Spawn<int, string?>(static _ => Ambient.Value, 0).AsTask(),
            SeenByAction(),
            _executor.Spawn<string?>(async () =>
            {
                await Task.Yield();
                return Ambient.Value; // the body's own continuation
            }).AsTask(),
            _executor.Spawn<int, string?>(static async _ =>
            {
                await Task.Delay(1);
                return Ambient.Value;
            }, 0).AsTask(),
            _executor.Spawn(() => new ValueTask<string?>(Ambient.Value)).AsTask(),
            _executor.Spawn<string?>(queue, () => Ambient.Value).AsTask(),
            _executor.Spawn<string?>(queue, async () =>
            {
                await Task.Yield();
                return Ambient.Value;
            }).AsTask(),
            _executor.Start(() => AmbientAfterYieldAsync()).AsTask()).Within("the spawned bodies");

        seen.Should().OnlyContain(value => value == "caller");
    }

    [Fact]
    public async Task The_callers_AsyncLocal_reaches_a_posted_callback_from_another_thread_and_from_the_core()
    {
        Ambient.Value = "caller";
        var fromTest = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fromCore = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);

        _executor.Post(() => fromTest.SetResult(Ambient.Value));
        await _executor.OnExecutor(() =>
        {
            Ambient.Value = "set on the core";
            _executor.Post(() => fromCore.SetResult(Ambient.Value));
        });

        (await fromTest.Task.Within("the callback posted from the test")).Should().Be("caller");
        (await fromCore.Task.Within("the callback posted on the core")).Should().Be("set on the core");
    }

    [Fact]
    public async Task The_callers_AsyncLocal_reaches_pool_bodies()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        Ambient.Value = "caller";

        string? byKey = await pool.SpawnOn(1, () => Ambient.Value).Within("the keyed spawn");
        ShardResult<string?>[] all = await pool.RunOnAllShards<string?>(async shard =>
        {
            await Task.Yield();
            return Ambient.Value;
        }).Within("every shard");

        byKey.Should().Be("caller");
        all.Select(r => r.Value).Should().OnlyContain(value => value == "caller");
    }

    [Fact]
    public async Task The_callers_AsyncLocal_reaches_Run_and_RunAsync_bodies()
    {
        Ambient.Value = "caller";

        string? run = await Task.Run(() => LocalExecutor.Run(async () =>
        {
            await Task.Yield();
            return Ambient.Value;
        })).Within("Run");
        string? runAsync = await LocalExecutor.RunAsync(() => Task.FromResult(Ambient.Value)).Within("RunAsync");

        run.Should().Be("caller");
        runAsync.Should().Be("caller");
    }

    [Fact]
    public async Task A_spawned_body_changes_the_value_for_itself_only()
    {
        (string? inBody, string? spawnerAfter, string? nextItem) = await _executor.Spawn(async () =>
        {
            Ambient.Value = "spawner";
            string? body = await _executor.Spawn(() =>
            {
                Ambient.Value = "changed by the body";
                return Ambient.Value;
            });
            return (body, Ambient.Value, await _executor.Spawn(() => Ambient.Value));
        }).Within("the nested spawns");

        inBody.Should().Be("changed by the body");
        spawnerAfter.Should().Be("spawner", "the body's change does not leak back to the spawner");
        nextItem.Should().Be("spawner", "a later spawn sees the spawner's value, not the earlier body's change");
    }

    [Fact]
    public async Task Suppressed_flow_is_respected()
    {
        Ambient.Value = "caller";
        LocalTask<string?> task;
        using (ExecutionContext.SuppressFlow())
        {
            task = _executor.Spawn<string?>(() => Ambient.Value);
        }

        (await task.Within("the spawn")).Should().BeNull();
    }

    [Fact]
    public async Task A_spawn_allocates_only_its_task_with_the_default_context_and_with_a_flowing_one()
    {
        (long Spawn, long Task) plain = await _executor.Start(() => MeasureAsync(_executor, null)).Within("measuring with the default context");
        (long Spawn, long Task) flowing = await _executor.Start(() => MeasureAsync(_executor, "flows")).Within("measuring with a value set");

        plain.Spawn.Should().Be(plain.Task, "a spawn with the default context allocates exactly its task");
        flowing.Spawn.Should().Be(flowing.Task, "capturing a non-default context allocates nothing either");
    }

    private static async LocalTask<(long Spawn, long Task)> MeasureAsync(LocalExecutor executor, string? value)
    {
        const int Batch = 1000;
        if (value is not null)
        {
            Ambient.Value = value;
        }

        var tasks = new LocalTask<int>[Batch];
        var payload = new Payload();
        long spawnBytes = 0;
        for (int round = 0; round < 3; round++)
        {
            // Rounds 0 and 1 grow the run queue to its working size; round 2 is measured.
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Batch; i++)
            {
                tasks[i] = executor.Spawn(static p => p.Unit, payload);
            }

            spawnBytes = GC.GetAllocatedBytesForCurrentThread() - before;
            for (int i = 0; i < Batch; i++)
            {
                await tasks[i];
            }
        }

        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Batch; i++)
        {
            tasks[i] = new DelegateTask<Payload, int>(executor.DefaultQueue, static p => p.Unit, payload);
        }

        long taskBytes = GC.GetAllocatedBytesForCurrentThread() - start;
        return (spawnBytes / Batch, taskBytes / Batch);
    }

    [Fact]
    public async Task The_senders_AsyncLocal_reaches_a_callback_sent_from_another_thread()
    {
        SynchronizationContext context = await _executor.Spawn(() => SynchronizationContext.Current!).Within("the executor's context");
        string? seen = null;

        await Task.Run(() =>
        {
            Ambient.Value = "sender";
            context.Send(_ => seen = Ambient.Value, null);
        }).Within("the Send");

        seen.Should().Be("sender", "the callback runs in the context captured where Send was called");
    }

    private async Task<string?> SeenByAction()
    {
        string? seen = null;
        await _executor.Spawn(() => { seen = Ambient.Value; });
        return seen;
    }

    private static async LocalTask<string?> AmbientAfterYieldAsync()
    {
        await Task.Yield();
        return Ambient.Value;
    }

    private sealed class Payload
    {
        public int Unit = 1;
    }
}
