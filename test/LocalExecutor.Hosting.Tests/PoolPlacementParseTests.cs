using System;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Hosting.Tests;

public sealed class PoolPlacementParseTests
{
    [Theory]
    [InlineData("OnePerCpu", "OnePerCpu")]
    [InlineData(" onepercpu ", "OnePerCpu")]
    [InlineData("Spread(4)", "Spread(4)")]
    [InlineData("pack( 2 )", "Pack(2)")]
    [InlineData("Unbound(8)", "Unbound(8)")]
    [InlineData("Cpus(0, 2,5)", "Cpus(0,2,5)")]
    public void The_text_form_reads_back_what_ToString_writes(string text, string expected) =>
        PoolPlacement.Parse(text).ToString().Should().Be(expected);

    [Theory]
    [InlineData("")]
    [InlineData("Spread")]
    [InlineData("Spread(4")]
    [InlineData("Scatter(4)")]
    [InlineData("Spread(four)")]
    [InlineData("Cpus(0,,1)")]
    public void Other_text_is_a_FormatException_that_lists_the_forms(string text) =>
        FluentActions.Invoking(() => PoolPlacement.Parse(text)).Should().Throw<FormatException>()
            .WithMessage("*A placement is OnePerCpu, Spread(n), Pack(n), Unbound(n) or Cpus(a,b,...)*");

    [Fact]
    public void Counts_and_cpu_lists_are_checked_as_by_the_factory_methods()
    {
        FluentActions.Invoking(() => PoolPlacement.Parse("Spread(0)")).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => PoolPlacement.Parse("Cpus(1,1)")).Should().Throw<ArgumentException>().WithMessage("CPU 1 appears more than once*");
    }
}
