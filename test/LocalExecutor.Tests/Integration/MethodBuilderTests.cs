using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Integration;

/// <summary>The method-builder door: LocalTask methods and [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder))] methods.</summary>
[Collection(nameof(UsesDefaultExecutor))]
public sealed class MethodBuilderTests : IAsyncLifetime
{
    private static readonly AsyncLocal<string?> Ambient = new();
    private readonly LocalExecutor _executor = Executors.Start(nameof(MethodBuilderTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task A_pinned_method_called_from_the_thread_pool_runs_on_the_scoped_executor()
    {
        Thread ran = await Task.Run(() =>
        {
            using (_executor.EnterScope())
            {
                return WhereAmIPinned();
            }
        }).Within("the pinned method");

        ran.Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task A_local_method_called_under_another_synchronization_context_still_runs_on_its_executor()
    {
        var foreign = new RecordingContext();
        Thread ran = await Task.Run(() =>
        {
            SynchronizationContext.SetSynchronizationContext(foreign);
            try
            {
                using (_executor.EnterScope())
                {
                    return WhereAmILocal().AsTask();
                }
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }
        }).Within("the local method");

        ran.Should().BeSameAs(_executor.Thread);
        foreign.Posts.Should().Be(0, "the body never touched the caller's context");
    }

    [Fact]
    public async Task An_executor_thread_wins_over_the_scope()
    {
        await using LocalExecutor other = Executors.Start("other");
        Thread ran = await other.Spawn(async () =>
        {
            using (_executor.EnterScope())
            {
                return await WhereAmILocal();
            }
        }).Within("a local method called on another executor");

        ran.Should().BeSameAs(other.Thread);
    }

    [Fact]
    public async Task Start_runs_a_local_method_on_the_given_executor_even_from_another_executor()
    {
        await using LocalExecutor other = Executors.Start("other");
        Thread ran = await other.Spawn(async () => await _executor.Start(() => WhereAmILocal())).Within("Start across executors");
        ran.Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task Spawn_of_a_LocalTask_method_starts_it_as_the_raw_task_and_an_async_lambda_as_a_Task_body()
    {
        await using LocalExecutor other = Executors.Start("other");
        LocalTask<Thread> method = _executor.Spawn(() => WhereAmILocal());
        LocalTask<int> lambda = _executor.Spawn(async () =>
        {
            await Task.Yield();
            return Environment.CurrentManagedThreadId;
        });

        (await method.Within("the LocalTask method")).Should().BeSameAs(_executor.Thread);
        (await lambda.Within("the async lambda")).Should().Be(_executor.Thread.ManagedThreadId);
    }

    [Fact]
    public async Task From_the_thread_pool_a_local_method_runs_on_Default_and_an_active_scope_wins_over_it()
    {
        await using LocalExecutor fallback = Executors.Start("default");
        LocalExecutor? saved = LocalExecutor.Default;
        LocalExecutor.Default = fallback;
        try
        {
            Thread unscoped = await Task.Run(() => WhereAmILocal().AsTask()).Within("the local method with no scope");
            Thread scoped = await Task.Run(() =>
            {
                using (_executor.EnterScope())
                {
                    return WhereAmILocal().AsTask();
                }
            }).Within("the local method in a scope");

            unscoped.Should().BeSameAs(fallback.Thread, "with no scope the method runs on Default");
            scoped.Should().BeSameAs(_executor.Thread, "the scope wins over Default");
        }
        finally
        {
            LocalExecutor.Default = saved;
        }
    }

    [Fact]
    public async Task A_local_method_starts_in_the_task_queue_of_its_caller_or_of_the_spawn_that_calls_it()
    {
        TaskQueueHandle queue = _executor.CreateTaskQueue("caller's");
        TaskQueueHandle? fromCodeInTheQueue = await _executor.Spawn(queue, async () => await WhichQueueLocal()).Within("a local method called in the queue");
        TaskQueueHandle? fromTheSpawn = await _executor.Spawn(queue, () => WhichQueueLocal()).Within("a local method spawned into the queue");

        fromCodeInTheQueue.Should().Be(queue, "a method called from code running in a queue starts in that queue, not the default one");
        fromTheSpawn.Should().Be(queue, "a method spawned into a queue from another thread starts there");
    }

    [Fact]
    public async Task From_the_thread_pool_a_local_method_whose_executor_has_stopped_throws_ObjectDisposedException()
    {
        LocalExecutor stopped = Executors.Start("stopped-default");
        await stopped.DisposeAsync();
        LocalExecutor? saved = LocalExecutor.Default;
        LocalExecutor.Default = stopped;
        try
        {
            Func<Task> call = () => Task.Run(() => WhereAmILocal().AsTask());
            await call.Should().ThrowAsync<ObjectDisposedException>("a method that could never run is refused where it is called");
        }
        finally
        {
            LocalExecutor.Default = saved;
        }
    }

    [Fact]
    public void Without_any_executor_the_call_fails_clearly()
    {
        LocalExecutor? saved = LocalExecutor.Default;
        LocalExecutor.Default = null;
        try
        {
            Action call = () => _ = Task.Run(() => WhereAmILocal()).GetAwaiter().GetResult();
            call.Should().Throw<InvalidOperationException>().WithMessage("*No LocalExecutor to run on*");
        }
        finally
        {
            LocalExecutor.Default = saved;
        }
    }

    [Fact]
    public async Task AsyncLocal_values_flow_into_the_body_and_across_its_awaits_but_not_back_out()
    {
        (string? seenAtStart, string? seenAfterAwait, string? rightAfterCall, string? afterAwait) = await _executor.Spawn(async () =>
        {
            Ambient.Value = "caller";
            LocalTask<(string?, string?)> inner = ChangesAmbient(); // starts inline, sets "inner", suspends
            string? rightAfter = Ambient.Value;
            (string? start, string? after) = await inner;
            return (start, after, rightAfter, Ambient.Value);
        }).Within("the body");

        seenAtStart.Should().Be("caller");
        seenAfterAwait.Should().Be("inner", "the body's own changes survive its awaits");
        rightAfterCall.Should().Be("caller", "the body's changes do not leak to the caller when it suspends");
        afterAwait.Should().Be("caller");
    }

    [Fact]
    public async Task Awaiting_a_local_method_from_another_executor_resumes_on_the_awaiting_executor()
    {
        await using LocalExecutor other = Executors.Start("other");
        (Thread inside, Thread after) = await other.Spawn(async () =>
        {
            Thread bodyThread = await _executor.Start(() => WhereAmILocal());
            return (bodyThread, Thread.CurrentThread);
        }).Within("the cross-executor await");

        inside.Should().BeSameAs(_executor.Thread);
        after.Should().BeSameAs(other.Thread);
    }

    [Fact]
    public async Task Awaiting_a_spawn_from_the_thread_pool_resumes_on_the_thread_pool()
    {
        bool resumedOnPool = await Task.Run(async () =>
        {
            await _executor.Spawn(() => 1);
            return Thread.CurrentThread.IsThreadPoolThread;
        }).Within("the pool await");

        resumedOnPool.Should().BeTrue();
    }

    [Fact]
    public async Task A_local_method_yields_to_the_back_of_the_queue()
    {
        var order = new System.Collections.Generic.List<string>();
        await _executor.OnExecutor(() =>
        {
            _ = Step("a", order);
            _ = Step("b", order);
        });
        await _executor.Drain();
        await _executor.Drain();

        order.Should().Equal("a1", "b1", "a2", "b2");
    }

    private static async LocalTask<(string?, string?)> ChangesAmbient()
    {
        string? start = Ambient.Value;
        Ambient.Value = "inner";
        await Task.Delay(1);
        return (start, Ambient.Value);
    }

    private static async LocalTask<bool> Step(string name, System.Collections.Generic.List<string> order)
    {
        order.Add(name + "1");
        await Task.Yield();
        order.Add(name + "2");
        return true;
    }

    [Fact]
    public async Task A_local_method_awaiting_an_awaiter_with_only_OnCompleted_resumes_on_its_executor_when_it_completes()
    {
        var awaitable = new PlainAwaitable();
        LocalTask<Thread> method = _executor.Start(() => ResumeAfterLocal(awaitable));
        await Task.Run(() => awaitable.Registered.Wait(Bounded.Timeout)).Within("the method's registration");
        method.IsCompleted.Should().BeFalse("the awaitable has not completed");

        awaitable.CompleteFromThisThread(); // a foreign thread: the wake must reach the executor
        (await method.Within("the method to resume")).Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task A_pinned_method_awaiting_an_awaiter_with_only_OnCompleted_resumes_on_its_executor_when_it_completes()
    {
        var awaitable = new PlainAwaitable();
        LocalTask<Thread> method = _executor.Spawn(() => ResumeAfterPinned(awaitable));
        await Task.Run(() => awaitable.Registered.Wait(Bounded.Timeout)).Within("the method's registration");
        method.IsCompleted.Should().BeFalse("the awaitable has not completed");

        await Task.Run(awaitable.CompleteFromThisThread).Within("the completion");
        (await method.Within("the method to resume")).Should().BeSameAs(_executor.Thread);
    }

    private static async LocalTask<Thread> ResumeAfterLocal(PlainAwaitable awaitable)
    {
        await awaitable;
        return Thread.CurrentThread;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    private static async Task<Thread> ResumeAfterPinned(PlainAwaitable awaitable)
    {
        await awaitable;
        return Thread.CurrentThread;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    private static async Task<Thread> WhereAmIPinned()
    {
        await Task.Yield();
        return Thread.CurrentThread;
    }

    private static async LocalTask<TaskQueueHandle?> WhichQueueLocal()
    {
        await Task.Yield();
        return LocalExecutor.CurrentTaskQueue;
    }

    private static async LocalTask<Thread> WhereAmILocal()
    {
        await Task.Yield();
        return Thread.CurrentThread;
    }

    /// <summary>An awaitable whose awaiter implements only <see cref="INotifyCompletion"/> (the builders'
    /// <c>AwaitOnCompleted</c>, which flows the execution context), completed by hand.</summary>
    private sealed class PlainAwaitable : INotifyCompletion
    {
        private Action? _continuation;

        public ManualResetEventSlim Registered { get; } = new();

        public bool IsCompleted { get; private set; }

        public PlainAwaitable GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation)
        {
            _continuation = continuation;
            Registered.Set();
        }

        public void CompleteFromThisThread()
        {
            IsCompleted = true;
            _continuation!.Invoke();
        }
    }

    private sealed class RecordingContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            base.Post(d, state);
        }
    }
}
