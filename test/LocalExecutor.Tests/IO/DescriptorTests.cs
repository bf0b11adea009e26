using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;
using static ThreadPerCore.Tests.IO.IoTestSupport;

namespace ThreadPerCore.Tests.IO;

/// <summary>Tests that count or exhaust the process's descriptors, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorSensitive
{
    public const string Name = "Descriptor-sensitive";
}

/// <summary>Stopping an executor in the middle of I/O: pending operations end with a clear exception, and every
/// descriptor it opened is closed.</summary>
[Collection(DescriptorSensitive.Name)]
public sealed class DescriptorTests
{
    [LinuxFact]
    public async Task Disposing_the_executor_fails_pending_operations_and_closes_every_descriptor()
    {
        await StopInTheMiddleOfIoAsync(); // the first run opens what the process keeps for good (runtime, libraries)
        int baseline = OpenDescriptors();

        (Exception? receive, Exception? accept) = await StopInTheMiddleOfIoAsync();

        receive.Should().BeOfType<ObjectDisposedException>().Which.Message.Should().Contain("stopped");
        accept.Should().BeOfType<ObjectDisposedException>();
        OpenDescriptors().Should().Be(baseline, "the executor's epoll, eventfd, listener and connection are all closed");
    }

    [LinuxFact]
    public async Task Accepting_out_of_descriptors_backs_off_without_spinning_and_recovers()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Accepting_out_of_descriptors_backs_off_without_spinning_and_recovers));
        using LocalListener listener = await ListenAsync(executor);
        int accepted = 0;
        Task acceptLoop = executor.Spawn(async () =>
        {
            for (int i = 0; i < 3; i++)
            {
                using LocalConnection connection = await listener.AcceptAsync();
                Interlocked.Increment(ref accepted);
            }
        }).AsTask();
        await executor.Drain();

        // Three connections complete their handshake in the kernel's queue; then the process may open nothing more.
        Socket[] clients = [Connect(listener.LocalEndPoint), Connect(listener.LocalEndPoint), Connect(listener.LocalEndPoint)];
        ExecutorStats before;
        ExecutorStats during;
        using (DescriptorLimit.LowerTo(OpenDescriptors()))
        {
            await Eventually(() => listener.DescriptorExhaustions >= 3, "accept to meet the descriptor limit three times");
            before = executor.GetStats();
            await Eventually(() => listener.DescriptorExhaustions >= 5, "two more backed-off retries");
            during = executor.GetStats();
            Volatile.Read(ref accepted).Should().Be(0);
            (await executor.Spawn(() => 7).Within("other work while accepting is out of descriptors")).Should().Be(7);
        }

        (during.TasksRun - before.TasksRun).Should().BeLessThan(50, "accepting waits on a timer between tries; it does not spin the loop");
        await acceptLoop.Within("the queued connections to be accepted once descriptors are back");
        Volatile.Read(ref accepted).Should().Be(3);
        foreach (Socket client in clients)
        {
            client.Dispose();
        }
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Bounded.Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }

    private static async Task<(Exception? Receive, Exception? Accept)> StopInTheMiddleOfIoAsync()
    {
        LocalExecutor executor = StartExecutor(nameof(Disposing_the_executor_fails_pending_operations_and_closes_every_descriptor));
        LocalListener listener = await ListenAsync(executor);
        var receiving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Plain tasks on the executor's scheduler, not raw tasks: shutdown cancels raw tasks, and these must see the
        // failure their pending operation ends with.
        Task<Exception?> pendingReceive = OnExecutorAsTask(executor, async () =>
        {
            LocalConnection connection = await listener.AcceptAsync();
            ValueTask<int> receive = connection.ReceiveAsync(new byte[8]);
            receiving.SetResult();
            return await FailureOf(receive.AsTask());
        });
        using Socket client = Connect(listener.LocalEndPoint);
        await receiving.Task.Within("the receive to wait");
        Task<Exception?> pendingAccept = OnExecutorAsTask(executor, async () => await FailureOf(listener.AcceptAsync().AsTask()));
        await executor.Drain();

        await executor.DisposeAsync();
        return (await pendingReceive.Within("the receive to fail"), await pendingAccept.Within("the accept to fail"));
    }

    private static async Task<Exception?> FailureOf(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static Task<T> OnExecutorAsTask<T>(LocalExecutor executor, Func<Task<T>> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler).Unwrap();
}
