using System.Collections.Generic;
using System.Linq;
using ThreadPerCore.Platform;

namespace ThreadPerCore.Tests.Platform;

/// <summary>Hand-made machines for placement and sysfs tests.</summary>
internal static class FakeTopologies
{
    /// <summary>One node, one package, 4 cores with 2 SMT threads each; siblings are CPU c and c + 4 (Intel-style numbering).</summary>
    public static CpuTopology EightSmt { get; } = CpuTopology.FromLocations(
        Enumerable.Range(0, 8).Select(cpu => new CpuLocation(cpu, Core: cpu % 4, Package: 0, NumaNode: 0)));

    /// <summary>
    /// 2 NUMA nodes, one package each, 2 cores each with 2 SMT threads.
    /// Node 0 = CPUs 0,1,4,5 (cores {0,4} and {1,5}); node 1 = CPUs 2,3,6,7 (cores {2,6} and {3,7}).
    /// </summary>
    public static CpuTopology EightTwoNodes { get; } = CpuTopology.FromLocations(
        Enumerable.Range(0, 8).Select(cpu => new CpuLocation(cpu, Core: cpu % 2, Package: (cpu / 2) % 2, NumaNode: (cpu / 2) % 2)));

    /// <summary>
    /// 2 NUMA nodes × 2 packages × 2 cores × 2 SMT threads, numbered first threads first:
    /// cpu = smt * 8 + package * 2 + core, packages 0-1 on node 0 and 2-3 on node 1.
    /// </summary>
    public static CpuTopology Sixteen { get; } = CpuTopology.FromLocations(SixteenLocations());

    /// <summary>The same machine as <see cref="Sixteen"/> but with siblings numbered next to each other: cpu = node * 8 + package * 4 + core * 2 + smt.</summary>
    public static CpuTopology SixteenAdjacentSiblings { get; } = CpuTopology.FromLocations(
        Enumerable.Range(0, 16).Select(cpu => new CpuLocation(
            cpu, Core: (cpu / 2) % 2, Package: cpu / 4, NumaNode: cpu / 8)));

    /// <summary>Node 0 has one core (CPUs 0,1); node 1 has three cores (CPUs {2,3}, {4,5}, {6,7}); one package per node.</summary>
    public static CpuTopology Lopsided { get; } = CpuTopology.FromLocations(
        Enumerable.Range(0, 8).Select(cpu => new CpuLocation(
            cpu, Core: cpu / 2, Package: cpu < 2 ? 0 : 1, NumaNode: cpu < 2 ? 0 : 1)));

    public static IEnumerable<CpuLocation> SixteenLocations()
    {
        for (int cpu = 0; cpu < 16; cpu++)
        {
            int package = (cpu % 8) / 2;
            yield return new CpuLocation(cpu, Core: cpu % 2, Package: package, NumaNode: package / 2);
        }
    }
}
