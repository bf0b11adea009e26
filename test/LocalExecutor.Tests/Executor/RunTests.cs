using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>LocalExecutor.Run: the app-startup entry point, shaped like AsyncContext.Run.</summary>
[Collection(nameof(UsesDefaultExecutor))]
public sealed class RunTests
{
    [Fact]
    public void Run_returns_the_body_result_computed_on_an_executor_thread()
    {
        int caller = Environment.CurrentManagedThreadId;
        (int result, int bodyThread, int afterAwait, bool onExecutor) = LocalExecutor.Run(async () =>
        {
            int before = Environment.CurrentManagedThreadId;
            await Task.Delay(1);
            return (17, before, Environment.CurrentManagedThreadId, LocalExecutor.Current is not null);
        });

        result.Should().Be(17);
        onExecutor.Should().BeTrue();
        bodyThread.Should().NotBe(caller).And.Be(afterAwait);
    }

    [Fact]
    public void Run_makes_its_executor_the_default_while_it_runs_and_clears_it_after()
    {
        LocalExecutor? saved = LocalExecutor.Default;
        LocalExecutor.Default = null;
        try
        {
            (LocalExecutor? current, LocalExecutor? ambient) = LocalExecutor.Run(() => Task.FromResult((LocalExecutor.Current, LocalExecutor.Default)));

            current.Should().NotBeNull();
            ambient.Should().BeSameAs(current, "with no default set, the run's executor is the default while it runs");
            current!.Name.Should().Be("LocalExecutor.Run", "the name a run's executor gets when the options name none");
            LocalExecutor.Default.Should().BeNull("the run's executor has stopped: it is not left behind as the default");
        }
        finally
        {
            LocalExecutor.Default = saved;
        }
    }

    [Fact]
    public async Task Run_leaves_a_default_set_by_the_app_in_place()
    {
        LocalExecutor? saved = LocalExecutor.Default;
        await using LocalExecutor app = Executors.Start(nameof(Run_leaves_a_default_set_by_the_app_in_place));
        LocalExecutor.Default = app;
        try
        {
            LocalExecutor? ambient = await LocalExecutor.RunAsync(() => Task.FromResult(LocalExecutor.Default));

            ambient.Should().BeSameAs(app);
            LocalExecutor.Default.Should().BeSameAs(app);
        }
        finally
        {
            LocalExecutor.Default = saved;
        }
    }

    [Fact]
    public async Task Every_Run_overload_refuses_a_null_body_naming_it()
    {
        FluentActions.Invoking(() => LocalExecutor.Run((Func<Task>)null!)).Should().Throw<ArgumentNullException>().WithParameterName("body");
        FluentActions.Invoking(() => LocalExecutor.Run((Func<Task<int>>)null!)).Should().Throw<ArgumentNullException>().WithParameterName("body");
        FluentActions.Invoking(() => { _ = LocalExecutor.RunAsync((Func<Task>)null!); }).Should().Throw<ArgumentNullException>("at the call, before any task").WithParameterName("body");
        (await FluentActions.Awaiting(() => LocalExecutor.RunAsync((Func<Task<int>>)null!)).Should().ThrowAsync<ArgumentNullException>()).WithParameterName("body");
    }

    [Fact]
    public void Run_rethrows_the_body_exception_unwrapped()
    {
        Action run = () => LocalExecutor.Run(async () =>
        {
            await Task.Yield();
            throw new FormatException("body");
        });

        run.Should().Throw<FormatException>().WithMessage("body");
    }

    [Fact]
    public void Run_waits_for_async_void_methods_the_body_started()
    {
        int finished = 0;
        LocalExecutor.Run(() =>
        {
            FireAndForget(() => Interlocked.Exchange(ref finished, 1));
            return Task.CompletedTask;
        });

        Volatile.Read(ref finished).Should().Be(1);
    }

    [Fact]
    public void Run_rethrows_an_async_void_exception()
    {
        Action run = () => LocalExecutor.Run(() =>
        {
            FireAndForget(() => throw new NotSupportedException("async void"));
            return Task.CompletedTask;
        });

        run.Should().Throw<NotSupportedException>().WithMessage("async void");
    }

    [Fact]
    public async Task RunAsync_serves_an_async_Main()
    {
        string name = await LocalExecutor.RunAsync(
            () => Task.FromResult(Thread.CurrentThread.Name!),
            new LocalExecutorOptions { Name = "main-executor" });

        name.Should().Be("main-executor");
    }

    private static async void FireAndForget(Action after)
    {
        await Task.Delay(5);
        await Task.Yield();
        after();
    }
}
