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
