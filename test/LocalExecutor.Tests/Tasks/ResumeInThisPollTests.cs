using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Tests.Scheduling;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// A raw task whose awaited operation completed between its look and its registration resumes in the same poll
/// (<see cref="LocalTask.TryResumeInThisPoll"/>): nothing queued on its executor, a cancel included, runs in between,
/// so a cancel cannot hide an outcome that already took effect (the shared MPSC channel's send relies on it).
/// </summary>
public sealed class ResumeInThisPollTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(ResumeInThisPollTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task A_task_asked_to_resume_in_its_poll_runs_on_before_a_cancel_queued_during_that_poll()
    {
        // Set up before the start: the task's first poll may run on the executor before Start returns here.
        var operation = new CompletesDuringRegistration
        {
            OnRegister = waiter =>
            {
                // Queued behind this poll: had the task been woken the usual way, the cancel would run before its next
                // poll.
                _executor.Post(waiter.Cancel);
                waiter.TryResumeInThisPoll().Should().BeTrue("the registration happens inside the task's own poll");
            },
        };
        LocalTask<string> task = _executor.Start(async () =>
        {
            await operation;
            return "resumed";
        });

        (await task.Within("the task")).Should().Be("resumed");
        operation.Registrations.Should().Be(1);
        (await _executor.OnExecutor(() => _executor.LiveTasks.Count)).Should().Be(0, "the method that resumed in its poll and completed is no longer live");
    }

    [Fact]
    public async Task Outside_its_own_poll_a_task_cannot_be_asked_to_resume()
    {
        LocalTask task = _executor.Start(async () => await LocalExecutor.Delay(TimeSpan.FromDays(1)));
        bool resumed = await _executor.Spawn(() => task.TryResumeInThisPoll()).Within("the look from the executor");
        resumed.Should().BeFalse("the task is idle, not polling");
        (await Task.Run(() => task.TryResumeInThisPoll())).Should().BeFalse("another thread never asks");
        task.Cancel();
    }

    [Fact]
    public async Task A_task_that_registers_on_a_task_already_finished_is_woken_at_once()
    {
        // The window between a raw task's look at an awaited task and its registration, held open: the awaited task
        // finished (here, before the look) and the registration arrives after. Across executors it is a race; here the
        // awaitable reports pending and then registers on the finished task.
        LocalTask<int> finished = _executor.Start(SevenAsync);
        (await finished.Within("the awaited task")).Should().Be(7);
        var operation = new CompletesDuringRegistration { OnRegister = waiter => ((IWakerSource)finished).RegisterWaker(waiter) };

        LocalTask<int> task = _executor.Start(async () =>
        {
            await operation;
            return await finished;
        });

        (await task.Within("the task that registered on a finished task, which must wake it instead of keeping it")).Should().Be(7);
        operation.Registrations.Should().Be(1);
    }

#pragma warning disable CS1998 // a raw task that finishes in its first poll
    private static async LocalTask<int> SevenAsync() => 7;
#pragma warning restore CS1998

    /// <summary>An operation that reports itself pending, then completes while the task registers on it.</summary>
    private sealed class CompletesDuringRegistration : INotifyCompletion, IWakerSource
    {
        public Action<LocalTask>? OnRegister { get; set; }

        public int Registrations { get; private set; }

        public bool IsCompleted => false;

        public CompletesDuringRegistration GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => throw new InvalidOperationException("raw tasks register through IWakerSource");

        void IWakerSource.RegisterWaker(LocalTask waiter)
        {
            Registrations++;
            OnRegister!(waiter);
        }
    }
}
