using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

public sealed class SystemCpusTests
{
    [Fact]
    public void Available_cpus_are_never_empty()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();

        available.IsEmpty.Should().BeFalse();
        available.Count.Should().BeGreaterThan(0);
    }

    [LinuxFact]
    public void Available_cpus_match_the_process_status_the_kernel_reports()
    {
        string line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));

        SystemCpus.GetAvailableCpus().Should().Equal(CpuSet.Parse(line["Cpus_allowed_list:".Length..]));
    }

    [LinuxFact]
    public void Available_cpus_are_all_online()
    {
        CpuSet online = CpuSet.Parse(File.ReadAllText("/sys/devices/system/cpu/online"));

        SystemCpus.GetAvailableCpus().Except(online).IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Usable_cpu_count_is_the_smaller_of_processor_count_and_the_affinity_mask()
    {
        int usable = SystemCpus.UsableCpuCount;

        usable.Should().Be(Math.Min(Environment.ProcessorCount, SystemCpus.GetAvailableCpus().Count));
        usable.Should().BeGreaterThan(0);
    }

    [Fact]
    public void Topology_covers_every_available_cpu_exactly_once()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();

        CpuTopology topology = SystemCpus.GetTopology();

        topology.AllCpus.Should().Equal(available);
        topology.Cpus.Select(location => location.Cpu).Should().Equal(available);
        topology.Count.Should().Be(available.Count);
        foreach (int cpu in available)
        {
            topology[cpu].Cpu.Should().Be(cpu);
        }
    }

    [LinuxFact]
    public void Topology_agrees_with_sysfs_on_this_machine()
    {
        CpuTopology topology = SystemCpus.GetTopology();

        foreach (CpuLocation location in topology.Cpus)
        {
            string directory = $"/sys/devices/system/cpu/cpu{location.Cpu}/topology";
            string coreFile = Path.Combine(directory, "core_id");
            if (File.Exists(coreFile))
            {
                location.Core.Should().Be(int.Parse(File.ReadAllText(coreFile), System.Globalization.CultureInfo.InvariantCulture));
            }

            location.NumaNode.Should().BeGreaterThanOrEqualTo(0);
            location.Package.Should().BeGreaterThanOrEqualTo(0);
        }
    }

    [LinuxFact]
    public void Planned_cpus_on_this_machine_can_all_be_pinned()
    {
        CpuTopology topology = SystemCpus.GetTopology();
        int[] spread = PlacementPlanner.Spread(topology, SystemCpus.UsableCpuCount);

        foreach (int cpu in spread)
        {
            (bool ok, string? error, int current) = DedicatedThread.Run(() =>
            {
                bool pinned = ThreadAffinity.TryPinCurrentThread(cpu, out string? message);
                return (pinned, message, ThreadAffinity.GetCurrentCpu());
            });

            ok.Should().BeTrue(error);
            current.Should().Be(cpu);
        }
    }
}
