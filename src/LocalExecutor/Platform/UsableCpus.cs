using System;

namespace ThreadPerCore.Platform;

/// <summary>The one check, and the one error, for a placement on a CPU this process may not use: the same for a single
/// executor and for every shard of a pool, which checks all of them before it starts any.</summary>
internal static class UsableCpus
{
    /// <summary>Throws unless <paramref name="cpu"/> is in <paramref name="available"/>.</summary>
    /// <param name="cpu">The CPU asked for.</param>
    /// <param name="available">The CPUs this process may use.</param>
    /// <param name="paramName">The argument that carried the placement.</param>
    /// <param name="where">What asked for the CPU, for the message (a pool's shard); null for a single executor.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cpu"/> is not available.</exception>
    public static void ThrowIfUnavailable(int cpu, CpuSet available, string paramName, string? where = null)
    {
        if (!available.Contains(cpu))
        {
            Throw(cpu, available, paramName, where);
        }
    }

    private static void Throw(int cpu, CpuSet available, string paramName, string? where) =>
        throw new ArgumentOutOfRangeException(
            paramName,
            cpu,
            $"CPU {cpu}{(where is null ? string.Empty : $" ({where})")} is not available to this process; it may use CPUs {available}.");
}
