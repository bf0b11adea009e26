using System;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Tests.Platform;
using ThreadPerCore.Tests.Scheduling;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.Tests.Timers;

/// <summary>G10: an idle executor sleeping on a timer uses almost no CPU, as the kernel accounts it for its thread.</summary>
[Collection(TimingSensitive.Name)]
public sealed class IdleCpuTests
{
    private readonly ITestOutputHelper _output;

    public IdleCpuTests(ITestOutputHelper output) => _output = output;

    [LinuxFact]
    public async Task An_idle_executor_with_a_one_second_timer_uses_almost_no_cpu()
    {
        await using var executor = new LocalExecutor();
        int tid = executor.OsThreadId;
        tid.Should().BePositive("gettid works on Linux");
        await executor.Spawn(() => 0).Within("a warm-up spawn");
        long ticksPerSecond = 100; // USER_HZ: /proc reports utime and stime in 1/100 s on every Linux ABI
        ExecutorStats before = executor.GetStats();
        long cpuBefore = ReadThreadCpuTicks(tid);

        await executor.Sleep(TimeSpan.FromSeconds(1)).Within("the one-second sleep");

        long cpuTicks = ReadThreadCpuTicks(tid) - cpuBefore;
        ExecutorStats after = executor.GetStats();
        TimeSpan cpu = TimeSpan.FromSeconds(cpuTicks / (double)ticksPerSecond);
        _output.WriteLine($"executor thread CPU over the 1 s sleep: {cpu.TotalMilliseconds} ms (utime+stime); parks {after.Parks - before.Parks}, parked {(after.ParkedTime - before.ParkedTime).TotalMilliseconds:F0} ms");
        cpu.Should().BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(20), "the executor sleeps until its timer (Glommio's bound is 10 ms; /proc counts in 10 ms ticks)");
        (after.Parks - before.Parks).Should().BeLessThan(20, "no polling: it parks until the timer, wakes, and finishes");
        (after.ParkedTime - before.ParkedTime).Should().BeGreaterThan(TimeSpan.FromMilliseconds(900));
    }

    /// <summary>utime + stime of one thread, fields 14 and 15 of /proc/self/task/TID/stat (after the parenthesised name).</summary>
    private static long ReadThreadCpuTicks(int tid)
    {
        string stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
