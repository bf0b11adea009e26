namespace ThreadPerCore.Platform;

/// <summary>Where one logical CPU sits in the machine.</summary>
/// <param name="Cpu">The logical CPU number the OS schedules on.</param>
/// <param name="Core">
/// The physical core id, unique within its package (Linux <c>core_id</c>). Logical CPUs with the same
/// <paramref name="Package"/> and <paramref name="Core"/> are SMT (hyper-thread) siblings.
/// </param>
/// <param name="Package">The physical package (socket) id.</param>
/// <param name="NumaNode">The NUMA node whose memory is nearest.</param>
public readonly record struct CpuLocation(int Cpu, int Core, int Package, int NumaNode);
