using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Diagnostics;

public sealed class StallRateLimiterTests
{
    private const long Minute = 60_000;

    [Fact]
    public void At_most_the_limit_is_reported_in_a_window_and_the_next_report_carries_the_suppressed_count()
    {
        var limiter = new StallRateLimiter(perWindow: 2, windowTicks: Minute);

        limiter.TryReport(0, out long s1).Should().BeTrue();
        limiter.TryReport(10, out long s2).Should().BeTrue();
        limiter.TryReport(20, out _).Should().BeFalse();
        limiter.TryReport(Minute - 1, out _).Should().BeFalse();

        limiter.TryReport(Minute, out long s3).Should().BeTrue("a new minute began");
        (s1, s2, s3).Should().Be((0L, 0L, 2L));
        limiter.TryReport(Minute + 1, out long s4).Should().BeTrue();
        s4.Should().Be(0, "the count was handed on once");
    }

    [Fact]
    public void A_limit_of_zero_reports_nothing()
    {
        var limiter = new StallRateLimiter(perWindow: 0, windowTicks: Minute);
        limiter.TryReport(0, out _).Should().BeFalse();
        limiter.TryReport(5 * Minute, out _).Should().BeFalse();
    }
}
