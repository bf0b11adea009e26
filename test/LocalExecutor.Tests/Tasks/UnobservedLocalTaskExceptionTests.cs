using System;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>The report of an unobserved failure says what failed, where and why, in its message alone (a log line
/// often shows nothing else); the standard constructors leave no property null.</summary>
public sealed class UnobservedLocalTaskExceptionTests
{
    [Fact]
    public void The_message_names_the_task_the_executor_and_the_failure()
    {
        var failure = new InvalidOperationException("the disk is full");
        var report = new UnobservedLocalTaskException("core-3", "Shard.FlushAsync", failure);

        report.Message.Should().Be("A task that nothing awaits (Shard.FlushAsync, on executor 'core-3') failed: InvalidOperationException: the disk is full");
        report.Task.Should().Be("Shard.FlushAsync");
        report.InnerException.Should().BeSameAs(failure);
    }

    [Fact]
    public void The_standard_constructors_give_a_message_and_an_empty_task_name()
    {
        new UnobservedLocalTaskException().Message.Should().Be("A task that nothing awaits failed.");
        new UnobservedLocalTaskException().Task.Should().BeEmpty();
        new UnobservedLocalTaskException("custom").Task.Should().BeEmpty();
        var inner = new TimeoutException();
        var withInner = new UnobservedLocalTaskException("custom", inner);
        withInner.Task.Should().BeEmpty();
        withInner.InnerException.Should().BeSameAs(inner);
        withInner.Message.Should().Be("custom");
    }
}
