using System;
using System.Diagnostics;
using System.Threading;
using FluentAssertions;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

/// <summary>The thread CPU clock task queues are charged with: it advances while the thread computes and stands still
/// while the thread sleeps, which a wall clock does not.</summary>
public sealed class ThreadCpuClockTests
{
    [LinuxFact]
    public void The_clock_stands_still_while_the_thread_sleeps_and_advances_while_it_computes()
    {
        DedicatedThread.Run(() =>
        {
            ThreadCpuClock.IsCpuTime.Should().BeTrue();
            long beforeSleep = ThreadCpuClock.Now();
            Thread.Sleep(100);
            long slept = ThreadCpuClock.Now() - beforeSleep;

            long beforeWork = ThreadCpuClock.Now();
            long wallStart = Stopwatch.GetTimestamp();
            long wallEnd = wallStart + (Stopwatch.Frequency / 20); // 50 ms of wall time spent computing
            while (Stopwatch.GetTimestamp() < wallEnd)
            {
            }

            long worked = ThreadCpuClock.Now() - beforeWork;
            long wall = Stopwatch.GetTimestamp() - wallStart;

            TimeSpan.FromSeconds(slept / (double)Stopwatch.Frequency).Should().BeLessThan(TimeSpan.FromMilliseconds(20), "a sleeping thread uses no CPU");
            worked.Should().BePositive("a computing thread's CPU time advances").And.BeLessThanOrEqualTo(wall + (Stopwatch.Frequency / 1000), "no more CPU time than wall time passes");
            return 0;
        });
    }
}
