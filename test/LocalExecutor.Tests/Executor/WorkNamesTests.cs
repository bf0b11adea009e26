using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>The names reports give work (a shutdown's cancelled tasks, late work): the user's method, however the
/// compiler named what it generated for it.</summary>
public sealed class WorkNamesTests
{
    private const string ThisType = "ThreadPerCore.Tests.Executor.WorkNamesTests";

    [Fact]
    public void A_method_group_is_named_by_its_type_and_method()
    {
        var work = new Func<int>(Work);

        WorkNames.Describe(work).Should().Be($"{ThisType}.{nameof(Work)}");
        WorkNames.TypeOf(work).Should().Be<WorkNamesTests>("the type the method is declared in, not the delegate's");
    }

    [Fact]
    public void A_lambda_is_named_after_the_method_that_holds_it()
    {
        Func<int> lambda = () => 1;
        int captured = 2;
        Func<int> closure = () => captured;

        WorkNames.Describe(lambda).Should().Be($"{ThisType}.{nameof(A_lambda_is_named_after_the_method_that_holds_it)} (lambda)");
        WorkNames.Describe(closure).Should().Be($"{ThisType}.{nameof(A_lambda_is_named_after_the_method_that_holds_it)} (lambda)");
    }

    [Fact]
    public void A_local_function_is_named_after_its_method_and_itself()
    {
        static int Local() => 3;

        WorkNames.Describe(new Func<int>(Local)).Should().Be($"{ThisType}.{nameof(A_local_function_is_named_after_its_method_and_itself)}.Local");
    }

    [Fact]
    public void A_running_async_method_is_named_by_its_state_machine()
    {
        var never = new TaskCompletionSource();
        Task running = PendingAsync(never.Task);

        WorkNames.Describe(running).Should().Be($"{ThisType}.{nameof(PendingAsync)}");
        Type machine = WorkNames.TypeOf(running);
        typeof(IAsyncStateMachine).IsAssignableFrom(machine).Should().BeTrue($"the runtime's box holds the state machine, got {machine}");
        machine.DeclaringType.Should().Be<WorkNamesTests>();
        never.SetResult();
    }

    [Fact]
    public void An_async_lambda_and_an_async_local_function_are_named_like_their_synchronous_forms()
    {
        var never = new TaskCompletionSource();
        Func<Task> lambda = async () => await never.Task;
        async Task LocalAsync() => await never.Task;
        string method = nameof(An_async_lambda_and_an_async_local_function_are_named_like_their_synchronous_forms);

        WorkNames.Describe(lambda()).Should().Be($"{ThisType}.{method} (lambda)");
        WorkNames.Describe(LocalAsync()).Should().Be($"{ThisType}.{method}.LocalAsync");
        never.SetResult();
    }

    [Fact]
    public void A_type_and_a_plain_object_are_named_by_their_full_names_with_dots_for_nesting()
    {
        WorkNames.Describe(typeof(Nested)).Should().Be($"{ThisType}.Nested");
        WorkNames.TypeOf(typeof(Nested)).Should().Be<Nested>();
        WorkNames.Describe(new Nested()).Should().Be($"{ThisType}.Nested");
        WorkNames.TypeOf(new Nested()).Should().Be<Nested>();
    }

    [Fact]
    public async Task A_queued_task_is_named_by_the_work_it_was_given()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_queued_task_is_named_by_the_work_it_was_given));
        using var release = new ManualResetEventSlim();
        using var busy = new ManualResetEventSlim();
        executor.Post(() =>
        {
            busy.Set();
            release.Wait(Bounded.Timeout);
        });
        busy.Wait(Bounded.Timeout).Should().BeTrue("the executor runs the blocking callback");
        LocalTask<int> queued = executor.Spawn(new Func<int>(Work)); // not run yet: it still holds its work (as shutdown sees it)

        string description = WorkNames.Describe(queued);
        Type type = WorkNames.TypeOf(queued);
        release.Set();
        (await queued.Within("the task")).Should().Be(4);

        description.Should().Be($"{ThisType}.{nameof(Work)}");
        type.Should().Be<WorkNamesTests>("the delegate's type, not the executor's task type");
    }

    private static int Work() => 4;

    private static async Task PendingAsync(Task never) => await never;

    private sealed class Nested
    {
    }
}
