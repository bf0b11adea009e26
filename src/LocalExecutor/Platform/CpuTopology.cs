using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;

namespace ThreadPerCore.Platform;

/// <summary>
/// The layout of a set of logical CPUs: which core, package (socket) and NUMA node each one is on.
/// Obtain the machine's from <see cref="SystemCpus.GetTopology"/>, or build one with <see cref="FromLocations"/>.
/// </summary>
public sealed partial class CpuTopology
{
    private readonly CpuLocation[] _locations;
    private readonly int[] _cpuNumbers;

    private CpuTopology(CpuLocation[] sortedLocations)
    {
        _locations = sortedLocations;
        _cpuNumbers = Array.ConvertAll(sortedLocations, location => location.Cpu);
        Cpus = new ReadOnlyCollection<CpuLocation>(sortedLocations);
        AllCpus = CpuSet.Of(_cpuNumbers);
    }

    /// <summary>Gets every CPU's location, in ascending CPU order.</summary>
    public IReadOnlyList<CpuLocation> Cpus { get; }

    /// <summary>Gets how many CPUs the topology describes.</summary>
    public int Count => _locations.Length;

    /// <summary>Gets the set of CPU numbers the topology describes.</summary>
    public CpuSet AllCpus { get; }

    /// <summary>Gets how many distinct NUMA nodes the CPUs are on.</summary>
    public int NumaNodeCount => _locations.Select(location => location.NumaNode).Distinct().Count();

    /// <summary>Gets how many distinct physical packages (sockets) the CPUs are on.</summary>
    public int PackageCount => _locations.Select(location => location.Package).Distinct().Count();

    /// <summary>Gets how many distinct physical cores the CPUs are on; fewer than <see cref="Count"/> when SMT siblings are present.</summary>
    public int CoreCount => _locations.Select(location => (location.Package, location.Core)).Distinct().Count();

    /// <summary>Gets the location of a CPU.</summary>
    /// <param name="cpu">The CPU number.</param>
    /// <returns>Its location.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cpu"/> is not in this topology.</exception>
    public CpuLocation this[int cpu] => TryGet(cpu, out CpuLocation location)
        ? location
        : throw new ArgumentOutOfRangeException(nameof(cpu), cpu, $"CPU {cpu} is not among the CPUs {AllCpus} of this topology.");

    /// <summary>Builds a topology from explicit locations, for tests or machines the OS describes poorly.</summary>
    /// <param name="locations">One location per CPU, in any order.</param>
    /// <returns>The topology.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locations"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// A CPU number is outside 0 to <see cref="CpuSet.MaxCpu"/>, an id is negative, or a CPU appears twice.
    /// </exception>
    public static CpuTopology FromLocations(IEnumerable<CpuLocation> locations)
    {
        ArgumentNullException.ThrowIfNull(locations);
        CpuLocation[] sorted = [.. locations];
        Array.Sort(sorted, static (a, b) => a.Cpu.CompareTo(b.Cpu));
        for (int i = 0; i < sorted.Length; i++)
        {
            CpuLocation location = sorted[i];
            if ((uint)location.Cpu > CpuSet.MaxCpu || location.Core < 0 || location.Package < 0 || location.NumaNode < 0)
            {
                throw new ArgumentException(
                    $"{location} is invalid: the CPU number must be 0-{CpuSet.MaxCpu} and the ids non-negative.",
                    nameof(locations));
            }

            if (i > 0 && sorted[i - 1].Cpu == location.Cpu)
            {
                throw new ArgumentException($"CPU {location.Cpu} appears more than once.", nameof(locations));
            }
        }

        return new CpuTopology(sorted);
    }

    /// <summary>Gets the location of a CPU if the topology has it.</summary>
    /// <param name="cpu">The CPU number.</param>
    /// <param name="location">Its location, or default when absent.</param>
    /// <returns><see langword="true"/> when the topology has <paramref name="cpu"/>.</returns>
    public bool TryGet(int cpu, out CpuLocation location)
    {
        int index = Array.BinarySearch(_cpuNumbers, cpu);
        location = index >= 0 ? _locations[index] : default;
        return index >= 0;
    }

    /// <summary>Returns the topology of only those CPUs that are also in <paramref name="cpus"/>.</summary>
    /// <param name="cpus">The CPUs to keep.</param>
    /// <returns>The restricted topology; it may be empty.</returns>
    public CpuTopology Restrict(CpuSet cpus) =>
        new(Array.FindAll(_locations, location => cpus.Contains(location.Cpu)));

    /// <summary>Summarises the topology, for example <c>4 CPUs (0-3): 2 cores, 1 package, 1 NUMA node</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() =>
        $"{Counted(Count, "CPU")} ({AllCpus}): {Counted(CoreCount, "core")}, {Counted(PackageCount, "package")}, {Counted(NumaNodeCount, "NUMA node")}";

    private static string Counted(int count, string noun) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? string.Empty : "s");

    /// <summary>The fallback layout: each CPU its own core, all in package 0 and NUMA node 0.</summary>
    /// <param name="cpus">The CPUs.</param>
    /// <returns>The topology.</returns>
    internal static CpuTopology Flat(CpuSet cpus) =>
        new([.. cpus.Select(cpu => new CpuLocation(cpu, Core: cpu, Package: 0, NumaNode: 0))]);
}
