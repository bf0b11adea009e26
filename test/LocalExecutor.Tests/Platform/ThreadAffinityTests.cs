using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FluentAssertions;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

/// <summary>Pins brand-new threads and checks the result through three independent OS views.</summary>
public sealed class ThreadAffinityTests
{
    public static IEnumerable<object[]> AvailableCpus() =>
        SystemCpus.GetAvailableCpus().Select(cpu => new object[] { cpu });

    [LinuxTheory]
    [MemberData(nameof(AvailableCpus))]
    public void Pinning_a_new_thread_confines_it_to_exactly_that_cpu(int cpu)
    {
        PinObservation seen = DedicatedThread.Run(() => PinAndObserve(cpu));

        seen.Pinned.Should().BeTrue(seen.Error);
        seen.Error.Should().BeNull();
        seen.Affinity.Should().NotBeNull();
        seen.Affinity!.Value.Should().Equal(cpu);
        seen.ProcStatusList.Should().Be(cpu.ToString(CultureInfo.InvariantCulture));
        seen.CurrentCpu.Should().Be(cpu);
    }

    [LinuxFact]
    public void One_thread_can_be_moved_through_every_available_cpu_in_turn()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();
        int[] order = [.. available, .. available.Reverse()];

        List<PinObservation> seen = DedicatedThread.Run(() => order.Select(PinAndObserve).ToList());

        seen.Should().HaveCount(order.Length);
        for (int i = 0; i < order.Length; i++)
        {
            seen[i].Pinned.Should().BeTrue(seen[i].Error);
            seen[i].Affinity!.Value.Should().Equal(order[i]);
            seen[i].ProcStatusList.Should().Be(order[i].ToString(CultureInfo.InvariantCulture));
            seen[i].CurrentCpu.Should().Be(order[i]);
        }
    }

    [LinuxFact]
    public void A_new_thread_starts_with_the_process_mask()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();

        (CpuSet? affinity, string? list, int cpu) = DedicatedThread.Run(() => (
            ThreadAffinity.GetCurrentThreadAffinity(),
            ThreadAffinity.ReadAllowedCpuListFromProcStatus(),
            ThreadAffinity.GetCurrentCpu()));

        affinity.Should().NotBeNull();
        affinity!.Value.Should().Equal(available);
        CpuSet.Parse(list!).Should().Equal(available);
        available.Contains(cpu).Should().BeTrue();
    }

    [LinuxFact]
    public void A_thread_started_by_a_pinned_thread_is_not_pinned()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();
        int cpu = available.Max;

        (bool pinned, CpuSet? parentAffinity, CpuSet? childAffinity, string? childList) = DedicatedThread.Run(() =>
        {
            bool ok = ThreadAffinity.TryPinCurrentThread(cpu, out _);
            (CpuSet? affinity, string? list) child = DedicatedThread.Run(() => (
                ThreadAffinity.GetCurrentThreadAffinity(),
                ThreadAffinity.ReadAllowedCpuListFromProcStatus()));
            return (ok, ThreadAffinity.GetCurrentThreadAffinity(), child.affinity, child.list);
        });

        pinned.Should().BeTrue();
        parentAffinity!.Value.Should().Equal(cpu);
        childAffinity.Should().NotBeNull();
        childAffinity!.Value.Should().Equal(available, "the runtime resets each new thread to the process mask");
        CpuSet.Parse(childList!).Should().Equal(available);
    }

    [LinuxFact]
    public void The_available_cpus_seen_from_a_pinned_thread_are_still_the_whole_process_mask()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();

        CpuSet seenWhilePinned = DedicatedThread.Run(() =>
        {
            ThreadAffinity.TryPinCurrentThread(available.Min, out string? error).Should().BeTrue(error);
            return SystemCpus.GetAvailableCpus();
        });

        seenWhilePinned.Should().Equal(available);
    }

    [LinuxFact]
    public void Pinning_to_a_cpu_outside_the_available_set_fails_with_the_errno_and_leaves_the_thread_alone()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();
        available.Contains(CpuSet.MaxCpu).Should().BeFalse("this test needs CPU 1023 to be unavailable");

        (bool pinned, string? error, CpuSet? after) = DedicatedThread.Run(() =>
        {
            bool ok = ThreadAffinity.TryPinCurrentThread(CpuSet.MaxCpu, out string? message);
            return (ok, message, ThreadAffinity.GetCurrentThreadAffinity());
        });

        pinned.Should().BeFalse();
        error.Should().Contain("sched_setaffinity").And.Contain("1023").And.Contain("errno 22");
        after!.Value.Should().Equal(available);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    public void Pinning_to_an_impossible_cpu_number_fails_without_throwing(int cpu)
    {
        (bool pinned, string? error) = DedicatedThread.Run(() =>
        {
            bool ok = ThreadAffinity.TryPinCurrentThread(cpu, out string? message);
            return (ok, message);
        });

        pinned.Should().BeFalse();
        error.Should().Contain(cpu.ToString(CultureInfo.InvariantCulture)).And.Contain("0 to 1023");
    }

    [Fact]
    public void Restricting_to_an_empty_set_fails_without_throwing()
    {
        ThreadAffinity.TrySetCurrentThreadAffinity(CpuSet.Empty, out string? error).Should().BeFalse();
        error.Should().Contain("empty");
    }

    [LinuxFact]
    public void A_pin_can_be_undone_by_restoring_the_available_set()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();

        (CpuSet? pinned, CpuSet? restored, string? list) = DedicatedThread.Run(() =>
        {
            ThreadAffinity.TryPinCurrentThread(available.Min, out string? error).Should().BeTrue(error);
            CpuSet? whilePinned = ThreadAffinity.GetCurrentThreadAffinity();
            ThreadAffinity.TrySetCurrentThreadAffinity(available, out error).Should().BeTrue(error);
            return (whilePinned, ThreadAffinity.GetCurrentThreadAffinity(), ThreadAffinity.ReadAllowedCpuListFromProcStatus());
        });

        pinned!.Value.Should().Equal(available.Min);
        restored!.Value.Should().Equal(available);
        CpuSet.Parse(list!).Should().Equal(available);
    }

    [LinuxFact]
    public void Pinning_to_a_set_of_several_cpus_is_reported_back_as_that_set()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();
        CpuSet firstTwo = CpuSet.Of(available.Take(2));

        (bool ok, CpuSet? affinity, string? list, int cpu) = DedicatedThread.Run(() =>
        {
            bool set = ThreadAffinity.TrySetCurrentThreadAffinity(firstTwo, out _);
            return (set, ThreadAffinity.GetCurrentThreadAffinity(), ThreadAffinity.ReadAllowedCpuListFromProcStatus(), ThreadAffinity.GetCurrentCpu());
        });

        ok.Should().BeTrue();
        affinity!.Value.Should().Equal(firstTwo);
        list.Should().Be(firstTwo.ToString());
        firstTwo.Contains(cpu).Should().BeTrue();
    }

    private static PinObservation PinAndObserve(int cpu)
    {
        bool pinned = ThreadAffinity.TryPinCurrentThread(cpu, out string? error);
        return new PinObservation(
            pinned,
            error,
            ThreadAffinity.GetCurrentThreadAffinity(),
            ThreadAffinity.ReadAllowedCpuListFromProcStatus(),
            ThreadAffinity.GetCurrentCpu());
    }

    private sealed record PinObservation(bool Pinned, string? Error, CpuSet? Affinity, string? ProcStatusList, int CurrentCpu);
}
