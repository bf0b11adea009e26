using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace ThreadPerCore.Platform;

// Reading a CpuTopology from Linux sysfs.
public sealed partial class CpuTopology
{
    /// <summary>
    /// Reads the topology of <paramref name="cpus"/> from a sysfs tree: <c>{cpuRoot}/cpuN/topology/core_id</c> and
    /// <c>physical_package_id</c> (or <c>package_id</c>), and the NUMA node whose <c>{nodeRoot}/nodeK/cpulist</c> lists the CPU.
    /// </summary>
    /// <remarks>
    /// If the core or package of any CPU cannot be read, every CPU is taken to be its own core in package 0; a CPU that
    /// no node lists is on node 0. Negative package ids (reported by some virtual machines) count as package 0.
    /// </remarks>
    /// <param name="sysfsCpuRoot">Normally <c>/sys/devices/system/cpu</c>.</param>
    /// <param name="sysfsNodeRoot">Normally <c>/sys/devices/system/node</c>.</param>
    /// <param name="cpus">The CPUs to describe.</param>
    /// <returns>The topology of exactly <paramref name="cpus"/>.</returns>
    internal static CpuTopology ReadFrom(string sysfsCpuRoot, string sysfsNodeRoot, CpuSet cpus)
    {
        ArgumentNullException.ThrowIfNull(sysfsCpuRoot);
        ArgumentNullException.ThrowIfNull(sysfsNodeRoot);
        Dictionary<int, int> nodeOfCpu = ReadNodes(sysfsNodeRoot);
        var locations = new List<CpuLocation>(cpus.Count);
        bool coresKnown = true;
        foreach (int cpu in cpus)
        {
            string topology = Path.Combine(sysfsCpuRoot, "cpu" + cpu.ToString(CultureInfo.InvariantCulture), "topology");
            int? core = ReadId(Path.Combine(topology, "core_id"));
            int? package = ReadId(Path.Combine(topology, "physical_package_id")) ?? ReadId(Path.Combine(topology, "package_id"));
            coresKnown &= core is >= 0 && package is not null;
            int node = nodeOfCpu.TryGetValue(cpu, out int found) ? found : 0;
            locations.Add(new CpuLocation(cpu, core ?? 0, Math.Max(package ?? 0, 0), node));
        }

        if (!coresKnown)
        {
            locations = locations.ConvertAll(location => location with { Core = location.Cpu, Package = 0 });
        }

        return new CpuTopology([.. locations]);
    }

    // Maps each CPU to the lowest-numbered node listing it; empty when the node directory is missing or unreadable.
    private static Dictionary<int, int> ReadNodes(string sysfsNodeRoot)
    {
        var nodeOfCpu = new Dictionary<int, int>();
        var nodes = new SortedDictionary<int, string>();
        try
        {
            foreach (string directory in Directory.EnumerateDirectories(sysfsNodeRoot, "node*"))
            {
                string name = Path.GetFileName(directory);
                if (int.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int node))
                {
                    nodes[node] = directory;
                }
            }
        }
        catch (IOException)
        {
            return nodeOfCpu;
        }
        catch (UnauthorizedAccessException)
        {
            return nodeOfCpu;
        }

        foreach ((int node, string directory) in nodes)
        {
            if (CpuSet.TryParse(ReadText(Path.Combine(directory, "cpulist")), out CpuSet members))
            {
                foreach (int cpu in members)
                {
                    nodeOfCpu.TryAdd(cpu, node);
                }
            }
        }

        return nodeOfCpu;
    }

    private static int? ReadId(string path) =>
        int.TryParse(ReadText(path), NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out int id)
            ? id
            : null;

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
