using System;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>The exception's standard constructors (for code that wraps or rethrows it) leave no null behind its
/// non-nullable properties.</summary>
public sealed class ShutdownTimeoutExceptionTests
{
    [Fact]
    public void The_parameterless_constructor_says_what_happened_and_names_nothing()
    {
        var failure = new ShutdownTimeoutException();

        failure.Message.Should().Be("An executor did not stop in time.");
        failure.ExecutorName.Should().BeEmpty();
        failure.ThreadActivity.Should().BeEmpty();
        failure.Timeout.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void The_message_constructors_keep_the_message_and_the_cause_and_name_nothing()
    {
        var cause = new InvalidOperationException("cause");

        var withMessage = new ShutdownTimeoutException("message");
        var withCause = new ShutdownTimeoutException("wrapped", cause);

        withMessage.Message.Should().Be("message");
        withMessage.ExecutorName.Should().BeEmpty();
        withMessage.ThreadActivity.Should().BeEmpty();
        withCause.Message.Should().Be("wrapped");
        withCause.InnerException.Should().BeSameAs(cause);
        withCause.ExecutorName.Should().BeEmpty();
        withCause.ThreadActivity.Should().BeEmpty();
    }
}
