using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>Disposing an executor from its own thread (a task that decides the server must stop) only requests the stop:
/// the thread cannot wait for itself to exit, so the call returns, the task goes on, and the stop completes once the
/// thread returns to the loop.</summary>
public sealed class OwnThreadDisposeTests
{
    [Fact]
    public async Task Dispose_on_the_executor_thread_requests_the_stop_and_returns_at_once()
    {
        LocalExecutor executor = Executors.Start(nameof(Dispose_on_the_executor_thread_requests_the_stop_and_returns_at_once));

        (bool stopping, bool stillOn) = await executor.OnExecutor(() =>
        {
            executor.Dispose(); // must not join its own thread
            return (executor.IsStopping, Executors.IsOn(executor));
        });

        stopping.Should().BeTrue("the call requested the stop");
        stillOn.Should().BeTrue("the calling task went on running on its executor after the call returned");
        await executor.DisposeAsync().AsTask().Within("the stop the executor's own call requested");
        executor.IsShutDown.Should().BeTrue();
    }

    [Fact]
    public async Task DisposeAsync_on_the_executor_thread_requests_the_stop_and_completes_at_once()
    {
        LocalExecutor executor = Executors.Start(nameof(DisposeAsync_on_the_executor_thread_requests_the_stop_and_completes_at_once));

        bool completedAtOnce = await executor.OnExecutor(() => IsCompleted(executor.DisposeAsync()));

        completedAtOnce.Should().BeTrue("awaiting it there would wait for the thread's own exit");
        await executor.DisposeAsync().AsTask().Within("the stop the executor's own call requested");
        executor.IsShutDown.Should().BeTrue();
    }

    private static bool IsCompleted(ValueTask task) => task.IsCompleted;
}
