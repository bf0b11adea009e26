using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;
using static ThreadPerCore.Tests.IO.IoTestSupport;

namespace ThreadPerCore.Tests.IO;

/// <summary>A foreign wake writes the reactor's eventfd only when the owner really sleeps: a producer that finds the
/// owner awake leaves the work in the inbox and makes no system call (<see cref="Reactor.Releases"/> counts the
/// writes). The handshake that decides it is <c>Parker</c>'s, explored under Coyote in <c>ParkerTests</c>.</summary>
public sealed class ReactorWakeTests
{
    private const int Posts = 10_000;

    [LinuxFact]
    public async Task Foreign_posts_to_an_owner_that_never_empties_its_queue_write_nothing_to_the_eventfd()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Foreign_posts_to_an_owner_that_never_empties_its_queue_write_nothing_to_the_eventfd));
        Reactor reactor = executor.Reactor!;
        int stop = 0;
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task spinner = executor.Spawn(async () =>
        {
            busy.SetResult();
            while (Volatile.Read(ref stop) == 0)
            {
                await Task.Yield(); // always runnable: the queue is never empty, so the owner never parks
            }
        }).AsTask();
        await busy.Task.Within("the owner to be busy");
        long releases = reactor.Releases;
        long parks = executor.ParksForClock;

        int ran = 0;
        for (int i = 0; i < Posts; i++)
        {
            executor.Post(() => Interlocked.Increment(ref ran));
        }

        Bounded.Until(() => Volatile.Read(ref ran) == Posts, "the busy owner to run every post");
        long releasesWhileBusy = reactor.Releases - releases;
        long parksWhileBusy = executor.ParksForClock - parks;
        Volatile.Write(ref stop, 1);
        await spinner.Within("the spinner");

        parksWhileBusy.Should().Be(0, "the owner stayed awake for the whole run of posts (the premise)");
        releasesWhileBusy.Should().Be(0, $"{Posts} posts found the owner awake and signalled nothing");
    }

    [LinuxFact]
    public async Task Each_foreign_post_to_a_sleeping_owner_writes_the_eventfd_once()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Each_foreign_post_to_a_sleeping_owner_writes_the_eventfd_once));
        Reactor reactor = executor.Reactor!;
        for (int i = 0; i < 20; i++)
        {
            Bounded.Until(() => !executor.IsAwakeForClock, "the owner to park");
            long releases = reactor.Releases;
            int ran = 0;
            executor.Post(() => Volatile.Write(ref ran, 1));
            Bounded.Until(() => Volatile.Read(ref ran) == 1, "the sleeping owner to wake and run the post");
            (reactor.Releases - releases).Should().Be(1, $"post {i} found the owner asleep: one eventfd write wakes it");
        }
    }
}
