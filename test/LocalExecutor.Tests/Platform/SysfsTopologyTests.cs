using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FluentAssertions;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

/// <summary>Reads topologies from fake sysfs trees built in a temporary directory.</summary>
public sealed class SysfsTopologyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tpc-sysfs-" + Guid.NewGuid().ToString("N"));

    public SysfsTopologyTests()
    {
        Directory.CreateDirectory(_root);
    }

    private string CpuRoot => Path.Combine(_root, "cpu");

    private string NodeRoot => Path.Combine(_root, "node");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Reads_nodes_packages_cores_and_smt_siblings()
    {
        WriteMachine(FakeTopologies.Sixteen);

        CpuTopology topology = CpuTopology.ReadFrom(CpuRoot, NodeRoot, CpuSet.Range(0, 16));

        topology.Cpus.Should().Equal(FakeTopologies.Sixteen.Cpus);
        PlacementPlanner.Spread(topology, 16).Should().Equal(0, 4, 2, 6, 1, 5, 3, 7, 8, 12, 10, 14, 9, 13, 11, 15);
    }

    [Fact]
    public void Reads_only_the_requested_cpus()
    {
        WriteMachine(FakeTopologies.Sixteen);

        CpuTopology topology = CpuTopology.ReadFrom(CpuRoot, NodeRoot, CpuSet.Parse("4-7,12"));

        topology.Cpus.Should().Equal(FakeTopologies.Sixteen.Restrict(CpuSet.Parse("4-7,12")).Cpus);
    }

    [Fact]
    public void Falls_back_to_package_id_when_physical_package_id_is_absent()
    {
        WriteMachine(FakeTopologies.EightTwoNodes, packageFile: "package_id");

        CpuTopology topology = CpuTopology.ReadFrom(CpuRoot, NodeRoot, CpuSet.Range(0, 8));

        topology.Cpus.Should().Equal(FakeTopologies.EightTwoNodes.Cpus);
    }

    [Fact]
    public void Without_node_directories_every_cpu_is_on_node_zero()
    {
        WriteMachine(FakeTopologies.EightTwoNodes, writeNodes: false);

        CpuTopology topology = CpuTopology.ReadFrom(CpuRoot, NodeRoot, CpuSet.Range(0, 8));

        topology.Cpus.Should().Equal(FakeTopologies.EightTwoNodes.Cpus.Select(location => location with { NumaNode = 0 }));
    }

    [Fact]
    public void A_cpu_no_node_lists_is_on_node_zero_and_non_node_entries_are_ignored()
    {
        WriteMachine(FakeTopologies.EightTwoNodes);
        File.WriteAllText(Path.Combine(NodeRoot, "node1", "cpulist"), "2-3,6\n");
        Directory.CreateDirectory(Path.Combine(NodeRoot, "nodefoo"));
        File.WriteAllText(Path.Combine(NodeRoot, "has_cpu"), "0-7\n");

        CpuTopology topology = CpuTopology.ReadFrom(CpuRoot, NodeRoot, CpuSet.Range(0, 8));

        topology[6].NumaNode.Should().Be(1);
        topology[7].NumaNode.Should().Be(0);
    }

    [Fact]
    public void A_missing_core_id_makes_every_cpu_its_own_core_but_keeps_nodes()
    {
        WriteMachine(FakeTopologies.EightTwoNodes);
        File.Delete(Path.Combine(CpuRoot, "cpu5", "topology", "core_id"));

        CpuTopology topology = CpuTopology.ReadFrom(CpuRoot, NodeRoot, CpuSet.Range(0, 8));

        topology.Cpus.Should().Equal(FakeTopologies.EightTwoNodes.Cpus.Select(
            location => location with { Core = location.Cpu, Package = 0 }));
    }

    [Fact]
    public void A_negative_package_id_counts_as_package_zero()
    {
        WriteMachine(FakeTopologies.EightSmt);
        for (int cpu = 0; cpu < 8; cpu++)
        {
            File.WriteAllText(Path.Combine(CpuRoot, $"cpu{cpu}", "topology", "physical_package_id"), "-1\n");
        }

        CpuTopology topology = CpuTopology.ReadFrom(CpuRoot, NodeRoot, CpuSet.Range(0, 8));

        topology.Cpus.Should().Equal(FakeTopologies.EightSmt.Cpus);
    }

    [Fact]
    public void A_missing_tree_gives_the_flat_topology()
    {
        CpuTopology topology = CpuTopology.ReadFrom(
            Path.Combine(_root, "absent"), Path.Combine(_root, "absent-too"), CpuSet.Parse("0-3"));

        topology.Cpus.Should().Equal(CpuTopology.Flat(CpuSet.Parse("0-3")).Cpus);
    }

    [Fact]
    public void Rejects_null_roots()
    {
        Action noCpuRoot = () => CpuTopology.ReadFrom(null!, NodeRoot, CpuSet.Of(0));
        Action noNodeRoot = () => CpuTopology.ReadFrom(CpuRoot, null!, CpuSet.Of(0));

        noCpuRoot.Should().Throw<ArgumentNullException>().WithParameterName("sysfsCpuRoot");
        noNodeRoot.Should().Throw<ArgumentNullException>().WithParameterName("sysfsNodeRoot");
    }

    // Lays out cpuN/topology/{core_id,physical_package_id} and nodeK/cpulist as the kernel does, newline-terminated.
    private void WriteMachine(CpuTopology machine, string packageFile = "physical_package_id", bool writeNodes = true)
    {
        foreach (CpuLocation location in machine.Cpus)
        {
            string topology = Path.Combine(CpuRoot, "cpu" + location.Cpu.ToString(CultureInfo.InvariantCulture), "topology");
            Directory.CreateDirectory(topology);
            File.WriteAllText(Path.Combine(topology, "core_id"), location.Core.ToString(CultureInfo.InvariantCulture) + "\n");
            File.WriteAllText(Path.Combine(topology, packageFile), location.Package.ToString(CultureInfo.InvariantCulture) + "\n");
        }

        File.WriteAllText(Path.Combine(CpuRoot, "online"), machine.AllCpus + "\n");
        Directory.CreateDirectory(NodeRoot);
        if (!writeNodes)
        {
            return;
        }

        foreach (IGrouping<int, CpuLocation> node in machine.Cpus.GroupBy(location => location.NumaNode))
        {
            string directory = Path.Combine(NodeRoot, "node" + node.Key.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "cpulist"), CpuSet.Of(node.Select(location => location.Cpu)) + "\n");
        }
    }
}
