using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Integration;

/// <summary>The SynchronizationContext door: Post, Send, operation tracking, copies.</summary>
public sealed class SynchronizationContextTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(SynchronizationContextTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task Post_from_another_thread_runs_on_the_executor_with_its_context_current()
    {
        var ran = new TaskCompletionSource<(Thread, SynchronizationContext?)>();
        _executor.SynchronizationContext.Post(_ => ran.SetResult((Thread.CurrentThread, SynchronizationContext.Current)), null);

        (Thread thread, SynchronizationContext? context) = await ran.Task.Within("the posted callback");
        thread.Should().BeSameAs(_executor.Thread);
        context.Should().BeSameAs(_executor.SynchronizationContext);
    }

    [Fact]
    public async Task Posts_run_in_order()
    {
        var order = new System.Collections.Generic.List<int>();
        var done = new TaskCompletionSource();
        for (int i = 0; i < 1000; i++)
        {
            int n = i;
            _executor.SynchronizationContext.Post(_ => order.Add(n), null);
        }

        _executor.SynchronizationContext.Post(_ => done.SetResult(), null);
        await done.Task.Within("the last post");
        order.Should().BeInAscendingOrder().And.HaveCount(1000);
    }

    [Fact]
    public async Task Post_captures_the_execution_context()
    {
        var local = new AsyncLocal<string>();
        var seen = new TaskCompletionSource<string?>();
        local.Value = "flowed";
        _executor.SynchronizationContext.Post(_ => seen.SetResult(local.Value), null);
        local.Value = "changed after the post";

        (await seen.Task.Within("the posted callback")).Should().Be("flowed");
        local.Value = null!; // a spawn flows its caller's context too: this one has no value, whatever the callback ran under
        (await _executor.OnExecutor(() => local.Value)).Should().BeNull("the next work item does not inherit the last one's AsyncLocal values");
    }

    [Fact]
    public async Task Send_on_the_executor_thread_runs_inline()
    {
        bool inline = await _executor.OnExecutor(() =>
        {
            bool ran = false;
            _executor.SynchronizationContext.Send(_ => ran = true, null);
            return ran;
        });

        inline.Should().BeTrue();
    }

    [Fact]
    public async Task Send_from_another_thread_blocks_until_done_and_rethrows_unwrapped()
    {
        Thread? ranOn = null;
        await Task.Run(() => _executor.SynchronizationContext.Send(_ => ranOn = Thread.CurrentThread, null)).Within("Send");
        ranOn.Should().BeSameAs(_executor.Thread);

        var failure = new InvalidOperationException("from the sent callback");
        Action send = () => _executor.SynchronizationContext.Send(_ => throw failure, null);
        send.Should().Throw<InvalidOperationException>().Which.Should().BeSameAs(failure);
    }

    [Fact]
    public async Task Send_after_shutdown_fails_with_ObjectDisposedException()
    {
        await _executor.DisposeAsync();
        Action send = () => _executor.SynchronizationContext.Send(_ => { }, null);
        send.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void A_copy_is_a_new_instance_equal_to_the_original()
    {
        SynchronizationContext copy = _executor.SynchronizationContext.CreateCopy();
        copy.Should().NotBeSameAs(_executor.SynchronizationContext);
        copy.Should().Be(_executor.SynchronizationContext);
        copy.GetHashCode().Should().Be(_executor.SynchronizationContext.GetHashCode());
        copy.Should().NotBe(new SynchronizationContext());
    }

    [Fact]
    public async Task A_copy_posts_to_the_same_executor()
    {
        SynchronizationContext copy = _executor.SynchronizationContext.CreateCopy();
        var ran = new TaskCompletionSource<Thread>();
        copy.Post(_ => ran.SetResult(Thread.CurrentThread), null);
        (await ran.Task.Within("the post through a copy")).Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task An_async_void_method_is_counted_while_it_runs()
    {
        var release = new TaskCompletionSource();
        var finished = new TaskCompletionSource();

        await _executor.OnExecutor(() => FireAndForget(release.Task, finished));
        release.SetResult();
        await finished.Task.Within("the async void method");
    }

    [Fact]
    public void Post_rejects_a_null_callback()
    {
        Action post = () => _executor.SynchronizationContext.Post(null!, null);
        post.Should().Throw<ArgumentNullException>().WithParameterName("d");
    }

    private static async void FireAndForget(Task release, TaskCompletionSource finished)
    {
        await release;
        finished.SetResult();
    }
}
