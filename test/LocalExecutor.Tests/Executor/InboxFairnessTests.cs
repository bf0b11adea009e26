using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>Work handed over by other threads is not starved by a run queue that never empties: the loop looks at its
/// inbox at least every <see cref="LocalExecutor.InboxCheckInterval"/> items.</summary>
public sealed class InboxFairnessTests
{
    [Fact]
    public async Task A_post_from_another_thread_runs_within_one_inbox_interval_of_a_callback_that_keeps_requeueing_itself()
    {
        // A long time slice: the slice's end would also send the loop to its inbox, and this is about the item count.
        await using var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = nameof(A_post_from_another_thread_runs_within_one_inbox_interval_of_a_callback_that_keeps_requeueing_itself),
            PreemptTimeSlice = TimeSpan.FromSeconds(1),
        });
        var foreignRan = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        int turns = 0;
        bool handedOver = false;

        void Turn()
        {
            if (foreignRan.Task.IsCompleted || turns > 100 * LocalExecutor.InboxCheckInterval)
            {
                return; // done, or starved far past the bound: stop so the test can report it
            }

            turns++;
            if (!handedOver)
            {
                // Another thread posts, and this turn waits until the post is in the inbox: from here on, the loop
                // has foreign work while its run queue is never empty.
                // (A thread of its own: a thread-pool task waited on here could be inlined onto this thread.)
                handedOver = true;
                var other = new Thread(() => executor.Post(() => foreignRan.TrySetResult(turns)));
                other.Start();
                other.Join(Bounded.Timeout).Should().BeTrue("the post from another thread returns");
            }

            executor.Post(Turn);
        }

        executor.Post(Turn);
        int turnsBefore = await foreignRan.Task.Within("the post from another thread to run");

        turnsBefore.Should().BeLessThanOrEqualTo(LocalExecutor.InboxCheckInterval + 1,
            "the loop drains its inbox at least every InboxCheckInterval items, however busy its run queue stays");
    }
}
