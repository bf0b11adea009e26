using System;
using FluentAssertions;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

public sealed class CpuTopologyTests
{
    [Fact]
    public void FromLocations_sorts_by_cpu_and_answers_lookups()
    {
        CpuTopology topology = CpuTopology.FromLocations(
        [
            new CpuLocation(9, Core: 1, Package: 1, NumaNode: 1),
            new CpuLocation(0, Core: 0, Package: 0, NumaNode: 0),
            new CpuLocation(8, Core: 1, Package: 1, NumaNode: 1),
            new CpuLocation(1, Core: 0, Package: 0, NumaNode: 0),
        ]);

        topology.Cpus.Should().Equal(
            new CpuLocation(0, 0, 0, 0),
            new CpuLocation(1, 0, 0, 0),
            new CpuLocation(8, 1, 1, 1),
            new CpuLocation(9, 1, 1, 1));
        topology.Count.Should().Be(4);
        topology.AllCpus.ToString().Should().Be("0-1,8-9");
        topology[8].Should().Be(new CpuLocation(8, 1, 1, 1));
        topology.TryGet(9, out CpuLocation nine).Should().BeTrue();
        nine.Package.Should().Be(1);
        topology.TryGet(2, out CpuLocation missing).Should().BeFalse();
        missing.Should().Be(default(CpuLocation));
        topology.CoreCount.Should().Be(2);
        topology.PackageCount.Should().Be(2);
        topology.NumaNodeCount.Should().Be(2);
        topology.ToString().Should().Be("4 CPUs (0-1,8-9): 2 cores, 2 packages, 2 NUMA nodes");
    }

    [Fact]
    public void The_indexer_names_the_argument_for_an_unknown_cpu()
    {
        Func<CpuLocation> lookup = () => FakeTopologies.EightSmt[8];

        lookup.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("cpu").WithMessage("*CPU 8*0-7*");
    }

    [Fact]
    public void FromLocations_rejects_duplicates_bad_numbers_and_null()
    {
        Action duplicate = () => CpuTopology.FromLocations([new CpuLocation(3, 0, 0, 0), new CpuLocation(3, 1, 0, 0)]);
        Action tooHigh = () => CpuTopology.FromLocations([new CpuLocation(1024, 0, 0, 0)]);
        Action negative = () => CpuTopology.FromLocations([new CpuLocation(1, -1, 0, 0)]);
        Action none = () => CpuTopology.FromLocations(null!);

        duplicate.Should().Throw<ArgumentException>().WithParameterName("locations").WithMessage("*CPU 3*");
        tooHigh.Should().Throw<ArgumentException>().WithParameterName("locations");
        negative.Should().Throw<ArgumentException>().WithParameterName("locations");
        none.Should().Throw<ArgumentNullException>().WithParameterName("locations");
    }

    [Fact]
    public void Restrict_keeps_only_the_given_cpus()
    {
        CpuTopology restricted = FakeTopologies.Sixteen.Restrict(CpuSet.Parse("0,8,15,100"));

        restricted.AllCpus.ToString().Should().Be("0,8,15");
        restricted[15].Should().Be(FakeTopologies.Sixteen[15]);
        restricted.CoreCount.Should().Be(2);
        FakeTopologies.Sixteen.Restrict(CpuSet.Empty).Count.Should().Be(0);
    }

    [Fact]
    public void Fake_machines_have_the_shape_their_names_promise()
    {
        FakeTopologies.Sixteen.Count.Should().Be(16);
        FakeTopologies.Sixteen.CoreCount.Should().Be(8);
        FakeTopologies.Sixteen.PackageCount.Should().Be(4);
        FakeTopologies.Sixteen.NumaNodeCount.Should().Be(2);
        FakeTopologies.Sixteen[8].Should().Be(new CpuLocation(8, Core: 0, Package: 0, NumaNode: 0));
        FakeTopologies.Sixteen[13].Should().Be(new CpuLocation(13, Core: 1, Package: 2, NumaNode: 1));
        FakeTopologies.EightSmt.CoreCount.Should().Be(4);
        FakeTopologies.EightTwoNodes.NumaNodeCount.Should().Be(2);
        FakeTopologies.EightSmt.ToString().Should().Be("8 CPUs (0-7): 4 cores, 1 package, 1 NUMA node");
        CpuTopology.Flat(CpuSet.Of(3)).ToString().Should().Be("1 CPU (3): 1 core, 1 package, 1 NUMA node");
    }

    [Fact]
    public void Flat_makes_every_cpu_its_own_core_in_package_and_node_zero()
    {
        CpuTopology flat = CpuTopology.Flat(CpuSet.Parse("2,5,700"));

        flat.Cpus.Should().Equal(
            new CpuLocation(2, Core: 2, Package: 0, NumaNode: 0),
            new CpuLocation(5, Core: 5, Package: 0, NumaNode: 0),
            new CpuLocation(700, Core: 700, Package: 0, NumaNode: 0));
    }
}
