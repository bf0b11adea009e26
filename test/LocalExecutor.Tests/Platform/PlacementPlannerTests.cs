using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

public sealed class PlacementPlannerTests
{
    public static TheoryData<string, int[]> SpreadOrders => new()
    {
        { nameof(FakeTopologies.EightSmt), [0, 1, 2, 3, 4, 5, 6, 7] },
        { nameof(FakeTopologies.EightTwoNodes), [0, 2, 1, 3, 4, 6, 5, 7] },
        { nameof(FakeTopologies.Sixteen), [0, 4, 2, 6, 1, 5, 3, 7, 8, 12, 10, 14, 9, 13, 11, 15] },
        { nameof(FakeTopologies.SixteenAdjacentSiblings), [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15] },
        { nameof(FakeTopologies.Lopsided), [0, 2, 4, 6, 1, 3, 5, 7] },
    };

    public static TheoryData<string, int[]> PackOrders => new()
    {
        { nameof(FakeTopologies.EightSmt), [0, 4, 1, 5, 2, 6, 3, 7] },
        { nameof(FakeTopologies.EightTwoNodes), [0, 4, 1, 5, 2, 6, 3, 7] },
        { nameof(FakeTopologies.Sixteen), [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15] },
        { nameof(FakeTopologies.SixteenAdjacentSiblings), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] },
        { nameof(FakeTopologies.Lopsided), [0, 1, 2, 3, 4, 5, 6, 7] },
    };

    public static TheoryData<string> Machines => new(
        nameof(FakeTopologies.EightSmt),
        nameof(FakeTopologies.EightTwoNodes),
        nameof(FakeTopologies.Sixteen),
        nameof(FakeTopologies.SixteenAdjacentSiblings),
        nameof(FakeTopologies.Lopsided));

    [Theory]
    [MemberData(nameof(SpreadOrders))]
    public void Spread_takes_nodes_then_packages_then_cores_then_siblings(string machine, int[] expected)
    {
        CpuTopology topology = Machine(machine);

        PlacementPlanner.Spread(topology, topology.Count).Should().Equal(expected);
        for (int count = 1; count <= topology.Count; count++)
        {
            PlacementPlanner.Spread(topology, count).Should().Equal(expected.Take(count), "fewer threads take a prefix");
        }
    }

    [Theory]
    [MemberData(nameof(PackOrders))]
    public void Pack_fills_a_core_then_its_package_then_its_node(string machine, int[] expected)
    {
        CpuTopology topology = Machine(machine);

        PlacementPlanner.Pack(topology, topology.Count).Should().Equal(expected);
        for (int count = 1; count <= topology.Count; count++)
        {
            PlacementPlanner.Pack(topology, count).Should().Equal(expected.Take(count), "fewer threads take a prefix");
        }
    }

    [Fact]
    public void Spread_of_two_on_two_nodes_uses_both_nodes_and_pack_of_two_uses_one_core()
    {
        PlacementPlanner.Spread(FakeTopologies.Sixteen, 2).Should().Equal(0, 4);
        PlacementPlanner.Pack(FakeTopologies.Sixteen, 2).Should().Equal(0, 8);
        PlacementPlanner.Spread(FakeTopologies.Sixteen, 4).Select(cpu => FakeTopologies.Sixteen[cpu].Package)
            .Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Spread_never_doubles_up_while_an_unused_node_package_or_core_remains(string machine)
    {
        AssertSpreadInvariants(Machine(machine));
    }

    [Fact]
    public void Spread_keeps_its_promises_on_random_machines()
    {
        var random = new Random(20240611);
        for (int round = 0; round < 200; round++)
        {
            CpuTopology topology = RandomMachine(random);

            AssertSpreadInvariants(topology);
            PlacementPlanner.Pack(topology, topology.Count).Should().BeEquivalentTo(topology.AllCpus);
            AssertPackIsContiguous(topology);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(17)]
    public void Both_reject_a_count_outside_one_to_the_usable_cpus(int requested)
    {
        Action spread = () => PlacementPlanner.Spread(FakeTopologies.Sixteen, requested);
        Action pack = () => PlacementPlanner.Pack(FakeTopologies.Sixteen, requested);

        spread.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count").WithMessage("*16 CPUs are usable (0-15)*");
        pack.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count").WithMessage("*16 CPUs are usable (0-15)*");
    }

    [Fact]
    public void Both_reject_a_null_topology()
    {
        Action spread = () => PlacementPlanner.Spread(null!, 1);
        Action pack = () => PlacementPlanner.Pack(null!, 1);

        spread.Should().Throw<ArgumentNullException>().WithParameterName("topology");
        pack.Should().Throw<ArgumentNullException>().WithParameterName("topology");
    }

    [Fact]
    public void On_this_machine_every_usable_count_gives_distinct_available_cpus()
    {
        CpuTopology topology = SystemCpus.GetTopology();
        CpuSet available = SystemCpus.GetAvailableCpus();

        for (int count = 1; count <= topology.Count; count++)
        {
            int[] spread = PlacementPlanner.Spread(topology, count);
            int[] pack = PlacementPlanner.Pack(topology, count);

            spread.Should().HaveCount(count).And.OnlyHaveUniqueItems().And.OnlyContain(cpu => available.Contains(cpu));
            pack.Should().HaveCount(count).And.OnlyHaveUniqueItems().And.OnlyContain(cpu => available.Contains(cpu));
        }

        PlacementPlanner.Spread(topology, topology.Count).Should().BeEquivalentTo(available);
        PlacementPlanner.Spread(topology, SystemCpus.UsableCpuCount).Should().HaveCount(SystemCpus.UsableCpuCount);
    }

    private static CpuTopology Machine(string name) => name switch
    {
        nameof(FakeTopologies.EightSmt) => FakeTopologies.EightSmt,
        nameof(FakeTopologies.EightTwoNodes) => FakeTopologies.EightTwoNodes,
        nameof(FakeTopologies.Sixteen) => FakeTopologies.Sixteen,
        nameof(FakeTopologies.SixteenAdjacentSiblings) => FakeTopologies.SixteenAdjacentSiblings,
        nameof(FakeTopologies.Lopsided) => FakeTopologies.Lopsided,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown fake machine."),
    };

    // For every prefix: a node, package or core is used twice only if every one of its kind is already used.
    private static void AssertSpreadInvariants(CpuTopology topology)
    {
        int[] order = PlacementPlanner.Spread(topology, topology.Count);
        order.Should().BeEquivalentTo(topology.AllCpus);
        CheckLevel(topology, order, "node", location => location.NumaNode);
        CheckLevel(topology, order, "package", location => (location.NumaNode, location.Package));
        CheckLevel(topology, order, "core", location => (location.NumaNode, location.Package, location.Core));
    }

    private static void CheckLevel<TKey>(CpuTopology topology, int[] order, string level, Func<CpuLocation, TKey> key)
        where TKey : notnull
    {
        int distinct = topology.Cpus.Select(key).Distinct().Count();
        var used = new HashSet<TKey>();
        for (int i = 0; i < order.Length; i++)
        {
            bool fresh = used.Add(key(topology[order[i]]));
            if (!fresh)
            {
                used.Count.Should().Be(distinct, $"pick {i} (CPU {order[i]}) reuses a {level} while another is unused in {topology}");
            }
        }
    }

    // Pack of the whole machine visits each node, package and core as one unbroken run.
    private static void AssertPackIsContiguous(CpuTopology topology)
    {
        int[] order = PlacementPlanner.Pack(topology, topology.Count);
        CheckRuns(topology, order, location => location.NumaNode);
        CheckRuns(topology, order, location => (location.NumaNode, location.Package));
        CheckRuns(topology, order, location => (location.NumaNode, location.Package, location.Core));
    }

    private static void CheckRuns<TKey>(CpuTopology topology, int[] order, Func<CpuLocation, TKey> key)
        where TKey : notnull
    {
        var finished = new HashSet<TKey>();
        TKey current = key(topology[order[0]]);
        foreach (int cpu in order.Skip(1))
        {
            TKey next = key(topology[cpu]);
            if (!EqualityComparer<TKey>.Default.Equals(next, current))
            {
                finished.Add(current).Should().BeTrue();
                finished.Should().NotContain(next, $"Pack returned to a finished subtree at CPU {cpu} in {topology}");
                current = next;
            }
        }
    }

    // Random trees with uneven fan-out and shuffled CPU numbering.
    private static CpuTopology RandomMachine(Random random)
    {
        var locations = new List<(int Core, int Package, int Node)>();
        int nodes = random.Next(1, 4);
        int package = 0;
        for (int node = 0; node < nodes; node++)
        {
            int packages = random.Next(1, 4);
            for (int p = 0; p < packages; p++, package++)
            {
                int cores = random.Next(1, 5);
                for (int core = 0; core < cores; core++)
                {
                    int threads = random.Next(1, 5);
                    for (int thread = 0; thread < threads; thread++)
                    {
                        locations.Add((core, package, node));
                    }
                }
            }
        }

        int[] numbers = [.. Enumerable.Range(0, locations.Count)];
        random.Shuffle(numbers);
        return CpuTopology.FromLocations(locations.Select((l, i) => new CpuLocation(numbers[i], l.Core, l.Package, l.Node)));
    }
}
