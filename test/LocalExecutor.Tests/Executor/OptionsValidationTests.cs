using System;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>An executor refuses options it cannot honour at construction, naming the option; and what it makes of the
/// options left unset.</summary>
public sealed class OptionsValidationTests
{
    public static TheoryData<string> Refused => ["Placement", "SpinBeforePark", "PreemptTimeSlice", "LateWorkPolicy"];

    [Theory]
    [MemberData(nameof(Refused))]
    public void An_option_out_of_range_is_refused_at_construction_naming_it(string option)
    {
        var options = new LocalExecutorOptions();
        switch (option)
        {
            case "Placement": options.Placement = null!; break;
            case "SpinBeforePark": options.SpinBeforePark = TimeSpan.FromTicks(-1); break;
            case "PreemptTimeSlice": options.PreemptTimeSlice = TimeSpan.FromMicroseconds(999); break;
            case "LateWorkPolicy": options.LateWorkPolicy = (LateWorkPolicy)42; break;
        }

        FluentActions.Invoking(() => new LocalExecutor(options).Dispose())
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be($"options.{option}");
    }

    [Fact]
    public void An_executor_with_no_name_is_named_by_its_id_and_reads_as_name_and_placement()
    {
        using var executor = new LocalExecutor();

        executor.Name.Should().MatchRegex("^LocalExecutor-[0-9]+$");
        executor.ToString().Should().Be($"{executor.Name} (Unbound)");
    }

    [Fact]
    public void An_executor_without_a_reactor_says_why()
    {
        using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "no-reactor", EnableReactor = false });

        executor.HasReactor.Should().BeFalse();
        executor.ReactorUnavailableReason.Should().Be("disabled by LocalExecutorOptions.EnableReactor");
    }
}
