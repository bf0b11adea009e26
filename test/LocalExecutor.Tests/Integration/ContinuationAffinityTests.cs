using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Integration;

/// <summary>
/// Work placed on a core stays on it: at the start of a body and after every await, whichever door the body came
/// through, the code runs on the executor thread with the executor's synchronization context current. In raw-task
/// bodies (LocalTask and pinned methods) the executor's scheduler is TaskScheduler.Current too; plain async Task code
/// sees TaskScheduler.Default after a continuation the runtime inlines (see README, "What TaskScheduler.Current is").
/// </summary>
public sealed class ContinuationAffinityTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(ContinuationAffinityTests));
    private readonly List<string> _escapes = new();

    public enum Door
    {
        SynchronizationContext,
        LocalTaskMethod,
        PinnedTaskMethod,
        TaskFactory,
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Theory]
    [InlineData(Door.SynchronizationContext)]
    [InlineData(Door.LocalTaskMethod)]
    [InlineData(Door.PinnedTaskMethod)]
    [InlineData(Door.TaskFactory)]
    public async Task Every_continuation_resumes_on_the_executor_thread(Door door)
    {
        Task run = door switch
        {
            Door.SynchronizationContext => _executor.Spawn(() => AwaitEverythingAsync()).AsTask(),
            Door.LocalTaskMethod => _executor.Start(() => AwaitEverythingLocal()).AsTask(),
            Door.PinnedTaskMethod => Task.Run(() => { using (_executor.EnterScope()) { return AwaitEverythingPinned(); } }),
            _ => new TaskFactory(_executor.Scheduler).StartNew(() => AwaitEverythingAsync()).Unwrap(),
        };

        _checkScheduler = door is Door.LocalTaskMethod or Door.PinnedTaskMethod;
        await run.Within($"the body entered through the {door} door");

        _escapes.Should().BeEmpty();
        _steps.Should().Equal(ExpectedSteps);
    }

    private static readonly string[] ExpectedSteps =
    {
        "start", "Task.Yield", "Task.Delay", "TaskCompletionSource", "SemaphoreSlim", "Channel", "nested", "nested LocalTask", "Task.WhenAll",
    };

    private readonly List<string> _steps = new();
    private bool _checkScheduler;

    private async Task AwaitEverythingAsync()
    {
        Check("start");
        await Task.Yield();
        Check("Task.Yield");
        await Task.Delay(1);
        Check("Task.Delay");
        await CompletedElsewhere();
        Check("TaskCompletionSource");
        await ReleasedElsewhere();
        Check("SemaphoreSlim");
        await WrittenElsewhere();
        Check("Channel");
        await NestedAsync();
        Check("nested");
        await NestedLocal();
        Check("nested LocalTask");
        await Task.WhenAll(Task.Delay(1), NestedAsync());
        Check("Task.WhenAll");
    }

    private async LocalTask<int> AwaitEverythingLocal()
    {
        Check("start");
        await Task.Yield();
        Check("Task.Yield");
        await Task.Delay(1);
        Check("Task.Delay");
        await CompletedElsewhere();
        Check("TaskCompletionSource");
        await ReleasedElsewhere();
        Check("SemaphoreSlim");
        await WrittenElsewhere();
        Check("Channel");
        await NestedAsync();
        Check("nested");
        await NestedLocal();
        Check("nested LocalTask");
        await Task.WhenAll(Task.Delay(1), NestedAsync());
        Check("Task.WhenAll");
        return _steps.Count;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder))]
    private async Task AwaitEverythingPinned()
    {
        await AwaitEverythingLocal();
    }

    private static Task CompletedElsewhere()
    {
        var source = new TaskCompletionSource();
        _ = Task.Run(source.SetResult);
        return source.Task;
    }

    private static Task ReleasedElsewhere()
    {
        var semaphore = new SemaphoreSlim(0);
        Task wait = semaphore.WaitAsync();
        _ = Task.Run(() => semaphore.Release());
        return wait;
    }

    private static async Task WrittenElsewhere()
    {
        var channel = Channel.CreateUnbounded<int>();
        _ = Task.Run(() => channel.Writer.TryWrite(1));
        await channel.Reader.ReadAsync();
    }

    private async Task NestedAsync()
    {
        await Task.Yield();
        Check(null);
        await Task.Delay(1);
        Check(null);
    }

    private async LocalTask<bool> NestedLocal()
    {
        await Task.Delay(1);
        Check(null);
        return true;
    }

    private void Check(string? step)
    {
        string where = step ?? "nested step";
        if (Thread.CurrentThread != _executor.Thread)
        {
            _escapes.Add($"{where}: on thread {Environment.CurrentManagedThreadId}");
        }

        if (SynchronizationContext.Current is not LocalSynchronizationContext context || context.Executor != _executor)
        {
            _escapes.Add($"{where}: SynchronizationContext.Current is {SynchronizationContext.Current}");
        }

        if (_checkScheduler && TaskScheduler.Current != _executor.Scheduler)
        {
            _escapes.Add($"{where}: TaskScheduler.Current is {TaskScheduler.Current}");
        }

        if (step is not null)
        {
            _steps.Add(step);
        }
    }
}
