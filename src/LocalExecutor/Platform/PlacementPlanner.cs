using System;
using System.Collections.Generic;
using System.Linq;

namespace ThreadPerCore.Platform;

/// <summary>
/// Chooses which CPUs the threads of a pool are pinned to. Pure functions of a <see cref="CpuTopology"/>
/// (already restricted to the usable CPUs) and a thread count; ties always go to the lowest CPU number.
/// </summary>
/// <remarks>
/// The topology is treated as a tree: NUMA node, then package within the node, then physical core within the
/// package, then the core's SMT siblings.
/// </remarks>
internal static class PlacementPlanner
{
    /// <summary>
    /// Chooses <paramref name="count"/> CPUs as far apart as possible: round-robin over NUMA nodes first, then packages,
    /// then physical cores, and SMT siblings last. In every prefix of the result no two CPUs share a node while a node is
    /// unused, share a package while a package is unused, or share a core while a core is unused.
    /// </summary>
    /// <param name="topology">The usable CPUs.</param>
    /// <param name="count">How many CPUs to choose, from 1 to <see cref="CpuTopology.Count"/>.</param>
    /// <returns>The chosen CPU numbers, in the order threads should take them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="topology"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or above the number of usable CPUs.</exception>
    public static int[] Spread(CpuTopology topology, int count)
    {
        CheckArguments(topology, count);
        IReadOnlyList<CpuLocation> cpus = topology.Cpus;
        var nodeLoad = new Dictionary<int, int>();
        var packageLoad = new Dictionary<(int, int), int>();
        var coreLoad = new Dictionary<(int, int, int), int>();
        bool[] taken = new bool[cpus.Count];
        int[] chosen = new int[count];
        for (int pick = 0; pick < count; pick++)
        {
            int best = -1;
            (int, int, int, int, int) bestCost = default;
            for (int i = 0; i < cpus.Count; i++)
            {
                if (taken[i])
                {
                    continue;
                }

                CpuLocation cpu = cpus[i];
                int onNode = nodeLoad.GetValueOrDefault(cpu.NumaNode);
                int onPackage = packageLoad.GetValueOrDefault(PackageKey(cpu));
                int onCore = coreLoad.GetValueOrDefault(CoreKey(cpu));

                // An unused node beats an unused package beats the least used core; then balance nodes, then packages.
                // Strictly lower cost wins, so among equals the lowest CPU number (earliest in the list) stays.
                (int, int, int, int, int) cost = (Math.Min(onNode, 1), Math.Min(onPackage, 1), onCore, onNode, onPackage);
                if (best < 0 || cost.CompareTo(bestCost) < 0)
                {
                    best = i;
                    bestCost = cost;
                }
            }

            CpuLocation picked = cpus[best];
            taken[best] = true;
            chosen[pick] = picked.Cpu;
            nodeLoad[picked.NumaNode] = nodeLoad.GetValueOrDefault(picked.NumaNode) + 1;
            packageLoad[PackageKey(picked)] = packageLoad.GetValueOrDefault(PackageKey(picked)) + 1;
            coreLoad[CoreKey(picked)] = coreLoad.GetValueOrDefault(CoreKey(picked)) + 1;
        }

        return chosen;
    }

    /// <summary>
    /// Chooses <paramref name="count"/> CPUs as close together as possible: all SMT siblings of a core, then the next
    /// core of the same package, then the next package of the same NUMA node, before moving to the next node.
    /// Subtrees are taken in the order of their lowest CPU number.
    /// </summary>
    /// <param name="topology">The usable CPUs.</param>
    /// <param name="count">How many CPUs to choose, from 1 to <see cref="CpuTopology.Count"/>.</param>
    /// <returns>The chosen CPU numbers, in the order threads should take them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="topology"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or above the number of usable CPUs.</exception>
    public static int[] Pack(CpuTopology topology, int count)
    {
        CheckArguments(topology, count);

        // Cpus is in ascending CPU order, so each group's first element is its lowest CPU and GroupBy keeps that order.
        return topology.Cpus
            .GroupBy(cpu => cpu.NumaNode)
            .SelectMany(node => node
                .GroupBy(PackageKey)
                .SelectMany(package => package
                    .GroupBy(CoreKey)
                    .SelectMany(core => core)))
            .Select(cpu => cpu.Cpu)
            .Take(count)
            .ToArray();
    }

    private static (int Node, int Package) PackageKey(CpuLocation cpu) => (cpu.NumaNode, cpu.Package);

    private static (int Node, int Package, int Core) CoreKey(CpuLocation cpu) => (cpu.NumaNode, cpu.Package, cpu.Core);

    private static void CheckArguments(CpuTopology topology, int count)
    {
        ArgumentNullException.ThrowIfNull(topology);
        if (count < 1 || count > topology.Count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count),
                count,
                $"Cannot place {count} threads on distinct CPUs: between 1 and {topology.Count} can be placed, as {topology.Count} CPUs are usable ({topology.AllCpus}).");
        }
    }
}
