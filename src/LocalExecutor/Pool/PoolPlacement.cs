using System;
using System.Collections.Generic;
using System.Linq;
using ThreadPerCore.Platform;

namespace ThreadPerCore;

/// <summary>
/// Where the executors of a <see cref="LocalExecutorPool"/> run: one per usable CPU (<see cref="OnePerCpu"/>, the
/// default), a number of CPUs far apart (<see cref="Spread"/>) or close together (<see cref="Pack"/>), an
/// explicit list (<see cref="Cpus"/>), or not pinned at all (<see cref="Unbound"/>).
/// </summary>
/// <remarks>
/// Pinning placements use only the CPUs this process may run on (its affinity mask) and never more executors than
/// <see cref="SystemCpus.UsableCpuCount"/>, which also folds in the cgroup CPU quota: two pinned executors per CPU
/// would only take turns. <see cref="Unbound"/> accepts any count. The text form (<see cref="ToString"/>,
/// <see cref="Parse"/>) is what configuration files hold: <c>"Spread(4)"</c>.
/// </remarks>
[System.ComponentModel.TypeConverter(typeof(PoolPlacementConverter))]
public sealed partial class PoolPlacement
{
    private readonly int[]? _cpus;

    private PoolPlacement(PoolPlacementKind kind, int? count, int[]? cpus)
    {
        Kind = kind;
        RequestedCount = count;
        _cpus = cpus;
    }

    /// <summary>The kind of placement.</summary>
    public PoolPlacementKind Kind { get; }

    /// <summary>How many executors were asked for; null for <see cref="OnePerCpu"/>, which decides at start.</summary>
    public int? RequestedCount { get; }

    /// <summary>The explicit CPUs of a <see cref="Cpus"/> placement, in shard order; empty for the other kinds.</summary>
    public IReadOnlyList<int> ExplicitCpus => _cpus ?? [];

    /// <summary>One executor per usable CPU, shard <c>i</c> on the <c>i</c>-th CPU in ascending order. When the cgroup
    /// quota allows fewer CPUs than the affinity mask holds, the CPUs are chosen as by <see cref="Spread"/>.</summary>
    /// <returns>The placement.</returns>
    public static PoolPlacement OnePerCpu() => new(PoolPlacementKind.OnePerCpu, null, null);

    /// <summary>
    /// <paramref name="count"/> executors on CPUs as far apart as the topology allows: different NUMA nodes first, then
    /// packages, then physical cores, and SMT siblings of a used core last (Glommio's <c>MaxSpread</c>).
    /// </summary>
    /// <param name="count">How many executors, at least 1 and at most <see cref="SystemCpus.UsableCpuCount"/> (checked at start).</param>
    /// <returns>The placement.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static PoolPlacement Spread(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new(PoolPlacementKind.Spread, count, null);
    }

    /// <summary>
    /// <paramref name="count"/> executors on CPUs as close together as possible: SMT siblings of one core, then the next
    /// core of the package, then the next package of the node (Glommio's <c>MaxPack</c>). Good for executors that talk a lot.
    /// </summary>
    /// <param name="count">How many executors, at least 1 and at most <see cref="SystemCpus.UsableCpuCount"/> (checked at start).</param>
    /// <returns>The placement.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static PoolPlacement Pack(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new(PoolPlacementKind.Pack, count, null);
    }

    /// <summary>One executor per listed CPU, shard <c>i</c> pinned to <c>cpus[i]</c>.</summary>
    /// <param name="cpus">Distinct CPU numbers. Each must be one the process may use, which the pool checks for every shard
    /// before it starts any executor (see <see cref="LocalExecutorPool"/>).</param>
    /// <returns>The placement.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cpus"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="cpus"/> is empty or names a CPU twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A CPU number is negative.</exception>
    public static PoolPlacement Cpus(params int[] cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        if (cpus.Length == 0)
        {
            throw new ArgumentException("The CPU list is empty; a pool needs at least one executor.", nameof(cpus));
        }

        var seen = new HashSet<int>();
        foreach (int cpu in cpus)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cpu, nameof(cpus));
            if (!seen.Add(cpu))
            {
                throw new ArgumentException($"CPU {cpu} appears more than once in the list; each executor needs its own CPU.", nameof(cpus));
            }
        }

        return new(PoolPlacementKind.Cpus, cpus.Length, (int[])cpus.Clone());
    }

    /// <summary><paramref name="count"/> executors the operating system may move between the process's CPUs. Any count
    /// is accepted: more executors than CPUs simply take turns.</summary>
    /// <param name="count">How many executors, at least 1.</param>
    /// <returns>The placement.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static PoolPlacement Unbound(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new(PoolPlacementKind.Unbound, count, null);
    }

    /// <summary>The placement in the form <see cref="Parse"/> reads: <c>OnePerCpu</c>, <c>Spread(4)</c>, <c>Pack(2)</c>,
    /// <c>Unbound(8)</c>, <c>Cpus(0,2)</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => Kind switch
    {
        PoolPlacementKind.OnePerCpu => "OnePerCpu",
        PoolPlacementKind.Cpus => $"Cpus({string.Join(",", _cpus!)})",
        _ => $"{Kind}({RequestedCount})",
    };

    /// <summary>Chooses each shard's placement from the machine as it is now.</summary>
    internal Placement[] Plan() => Plan(SystemCpus.GetTopology(), SystemCpus.UsableCpuCount);

    /// <summary>Chooses each shard's placement. <paramref name="topology"/> holds the available CPUs; at most
    /// <paramref name="usable"/> of them may be pinned.</summary>
    internal Placement[] Plan(CpuTopology topology, int usable)
    {
        switch (Kind)
        {
            case PoolPlacementKind.Unbound:
                return Enumerable.Repeat(Placement.Unbound, RequestedCount!.Value).ToArray();
            case PoolPlacementKind.OnePerCpu:
                int[] cpus = usable >= topology.Count
                    ? topology.Cpus.Select(location => location.Cpu).ToArray()
                    : PlacementPlanner.Spread(topology, usable).Order().ToArray();
                return ToPlacements(cpus);
        }

        int count = RequestedCount!.Value;
        if (count > usable)
        {
            ThrowTooManyExecutors(this, topology, usable);
        }

        switch (Kind)
        {
            case PoolPlacementKind.Spread:
                return ToPlacements(PlacementPlanner.Spread(topology, count));
            case PoolPlacementKind.Pack:
                return ToPlacements(PlacementPlanner.Pack(topology, count));
        }

        // Every listed CPU is checked before the pool starts any executor, with the error a single executor gives.
        for (int shard = 0; shard < _cpus!.Length; shard++)
        {
            UsableCpus.ThrowIfUnavailable(_cpus[shard], topology.AllCpus, "placement", $"shard {shard} of {this}");
        }

        return ToPlacements(_cpus);
    }

    private static void ThrowTooManyExecutors(PoolPlacement placement, CpuTopology topology, int usable) =>
        throw new ArgumentOutOfRangeException(
            nameof(placement),
            placement.RequestedCount,
            $"Cannot pin {placement.RequestedCount} executors ({placement}): this process can use {usable} CPUs at once (affinity mask {topology.AllCpus}, " +
            $"Environment.ProcessorCount {Environment.ProcessorCount}, which includes the cgroup CPU quota). " +
            "Ask for fewer, or use PoolPlacement.Unbound to run more executors than CPUs.");

    private static Placement[] ToPlacements(int[] cpus) => Array.ConvertAll(cpus, Placement.Fixed);
}
