using System;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Platform;
using ThreadPerCore.Tests.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Pool;

public sealed class PoolPlacementTests
{
    private static readonly TimeSpan Bound = Bounded.Timeout;

    public static TheoryData<string> PinningPlacements => new() { "OnePerCpu", "Spread", "Pack", "Cpus" };

    [LinuxTheory]
    [MemberData(nameof(PinningPlacements))]
    public async Task Each_executor_runs_on_its_planned_cpu_as_the_kernel_reports_it(string kind)
    {
        int usable = SystemCpus.UsableCpuCount;
        PoolPlacement placement = kind switch
        {
            "OnePerCpu" => PoolPlacement.OnePerCpu(),
            "Spread" => PoolPlacement.Spread(usable),
            "Pack" => PoolPlacement.Pack(usable),
            _ => PoolPlacement.Cpus(SystemCpus.GetAvailableCpus().Take(usable).Reverse().ToArray()),
        };

        await using var pool = new LocalExecutorPool(placement);
        pool.Count.Should().Be(usable);

        ShardResult<(string? Proc, CpuSet? Allowed, int Current)>[] seen = await pool.RunOnAllShards(
            shard => (ThreadAffinity.ReadAllowedCpuListFromProcStatus(), ThreadCpu.Allowed, ThreadCpu.Current)).WaitAsync(Bound);

        for (int shard = 0; shard < pool.Count; shard++)
        {
            int planned = pool[shard].Placement.Cpu!.Value;
            var (proc, allowed, current) = seen[shard].Value;
            proc.Should().Be(planned.ToString(System.Globalization.CultureInfo.InvariantCulture), $"shard {shard} is pinned to CPU {planned}");
            allowed.Should().Be(CpuSet.Of(planned));
            current.Should().Be(planned);
        }

        pool.Executors.Select(e => e.Placement.Cpu!.Value).Should().OnlyHaveUniqueItems();
    }

    [LinuxFact]
    public async Task An_explicit_list_pins_shard_i_to_the_ith_cpu()
    {
        int[] cpus = SystemCpus.GetAvailableCpus().Take(SystemCpus.UsableCpuCount).Reverse().ToArray();
        await using var pool = new LocalExecutorPool(PoolPlacement.Cpus(cpus));
        pool.Executors.Select(e => e.Placement.Cpu!.Value).Should().Equal(cpus);
    }

    [Fact]
    public void Spread_plans_use_distinct_nodes_before_sharing_one()
    {
        // Two NUMA nodes of two cores with two SMT siblings each: CPUs 0-3 on node 0, 4-7 on node 1.
        CpuTopology topology = CpuTopology.FromLocations(Enumerable.Range(0, 8).Select(cpu =>
            new CpuLocation(cpu, Core: cpu / 2 % 2, Package: cpu / 4, NumaNode: cpu / 4)));

        Placement[] spread = PoolPlacement.Spread(2).Plan(topology, usable: 8);
        Placement[] pack = PoolPlacement.Pack(2).Plan(topology, usable: 8);

        spread.Select(p => topology[p.Cpu!.Value].NumaNode).Should().OnlyHaveUniqueItems();
        pack.Select(p => p.Cpu).Should().Equal(0, 1);
    }

    [Fact]
    public void OnePerCpu_under_a_quota_takes_as_many_cpus_as_usable_spread_apart()
    {
        CpuTopology topology = CpuTopology.FromLocations(Enumerable.Range(0, 8).Select(cpu =>
            new CpuLocation(cpu, Core: cpu / 2 % 2, Package: cpu / 4, NumaNode: cpu / 4)));

        Placement[] plan = PoolPlacement.OnePerCpu().Plan(topology, usable: 2);

        plan.Should().HaveCount(2);
        plan.Select(p => topology[p.Cpu!.Value].NumaNode).Should().OnlyHaveUniqueItems();
        PoolPlacement.OnePerCpu().Plan(topology, usable: 8).Select(p => p.Cpu).Should().Equal(Enumerable.Range(0, 8).Cast<int?>());
    }

    [Fact]
    public void A_quota_below_the_requested_count_is_an_argument_error_naming_it()
    {
        CpuTopology topology = CpuTopology.FromLocations(Enumerable.Range(0, 8).Select(cpu => new CpuLocation(cpu, cpu, 0, 0)));

        var act = () => PoolPlacement.Spread(3).Plan(topology, usable: 2);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Cannot pin 3 executors*can use 2 CPUs*");
    }
}
