using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Tests.Scheduling;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// The join side of a task with many awaiters: registering n of them costs O(n) in all (an array that doubles, not one
/// copied on every append), and completion runs each registered continuation exactly once, also when registrations
/// race the completion from several threads.
/// </summary>
public sealed class AwaiterRegistrationTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(AwaiterRegistrationTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task Eighty_thousand_awaiters_cost_linear_memory_and_each_runs_once()
    {
        const int Awaiters = 80_000;
        var gate = new TaskCompletionSource();
        LocalTask task = _executor.Start(() => WaitAsync(gate.Task));
        int ran = 0;
        Action continuation = () => Interlocked.Increment(ref ran);

        long bytes = await Task.Run(() =>
        {
            LocalTaskAwaiter awaiter = task.GetAwaiter();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Awaiters; i++)
            {
                awaiter.UnsafeOnCompleted(continuation);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }).Within("registering the awaiters");

        // Each registration allocates its Continuation (about 50 bytes); the list adds about 16 bytes per entry in all.
        // Copying the array on every append allocated 8 * n * n / 2 bytes: 25 GB for these 80,000.
        bytes.Should().BeLessThan(Awaiters * 200L, "registration must be linear, amortized");
        task.IsCompleted.Should().BeFalse();

        gate.SetResult();
        await Timing.UntilAsync(() => Volatile.Read(ref ran) >= Awaiters, "every continuation to run");
        await _executor.Drain();
        await Task.Run(() => { }); // the continuations resume on the thread pool: give a duplicate the chance to show
        Volatile.Read(ref ran).Should().Be(Awaiters, "each continuation runs exactly once");
    }

    [Fact]
    public async Task Registrations_racing_the_completion_from_four_threads_each_run_exactly_once()
    {
        const int Threads = 4;
        const int PerThread = 5_000;
        for (int round = 0; round < 20; round++)
        {
            var gate = new TaskCompletionSource();
            LocalTask task = _executor.Start(() => WaitAsync(gate.Task));
            await _executor.Drain();
            var runs = new int[Threads * PerThread];
            using var start = new Barrier(Threads + 1);
            Task[] registering = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
                () =>
                {
                    LocalTaskAwaiter awaiter = task.GetAwaiter();
                    start.SignalAndWait();
                    for (int i = 0; i < PerThread; i++)
                    {
                        int slot = (t * PerThread) + i;
                        awaiter.UnsafeOnCompleted(() => Interlocked.Increment(ref runs[slot]));
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();

            start.SignalAndWait();
            gate.SetResult(); // the completion lands somewhere in the middle of the registrations
            await Task.WhenAll(registering).Within("the registering threads");
            await Timing.UntilAsync(() => runs.All(r => Volatile.Read(ref r) != 0), $"every continuation of round {round} to run");
            await _executor.Drain();
            runs.Should().OnlyContain(r => r == 1, $"round {round}: registered before the completion or after it, each runs once");
        }
    }

    [Fact]
    public async Task Local_tasks_awaiting_one_task_are_all_woken_in_registration_order()
    {
        var gate = new TaskCompletionSource();
        var order = new System.Collections.Generic.List<int>();
        LocalTask awaited = _executor.Start(() => WaitAsync(gate.Task));
        LocalTask[] waiters = await _executor.OnExecutor(() =>
            Enumerable.Range(0, 100).Select(i => AppendAfterAsync(awaited, order, i)).ToArray());

        gate.SetResult();
        await Task.WhenAll(waiters.Select(w => w.AsTask())).Within("the waiters");

        order.Should().Equal(Enumerable.Range(0, 100));
    }

    private static async LocalTask WaitAsync(Task gate) => await gate;

    private static async LocalTask AppendAfterAsync(LocalTask awaited, System.Collections.Generic.List<int> order, int i)
    {
        await awaited;
        order.Add(i); // every waiter runs on the executor thread: no lock needed
    }
}
