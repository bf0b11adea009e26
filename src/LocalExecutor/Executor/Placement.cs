using System;

namespace ThreadPerCore;

/// <summary>
/// Where an executor's thread runs: pinned to one CPU (<see cref="Fixed"/>) or left to the operating system
/// (<see cref="Unbound"/>).
/// </summary>
/// <remarks>
/// Pinning works on Linux (<c>sched_setaffinity</c> on the thread itself, any CPU number up to 1023) and on Windows
/// (<c>SetThreadAffinityMask</c>, CPUs 0–63 of the process's group). On other systems an executor asked for a fixed
/// CPU runs unbound, and its <see cref="LocalExecutor.Placement"/> says so.
/// </remarks>
public sealed class Placement : IEquatable<Placement>
{
    private Placement(int? cpu) => Cpu = cpu;

    /// <summary>Not pinned: the operating system may move the thread between the process's CPUs.</summary>
    public static Placement Unbound { get; } = new(null);

    /// <summary>The CPU the thread is pinned to, or null when unbound.</summary>
    public int? Cpu { get; }

    /// <summary>True when the thread is pinned to <see cref="Cpu"/>.</summary>
    public bool IsPinned => Cpu.HasValue;

    /// <summary>Pins the thread to one CPU, numbered as the operating system numbers them.</summary>
    /// <param name="cpu">The CPU; it must be one this process may use (see <see cref="Platform.SystemCpus.GetAvailableCpus"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cpu"/> is negative.</exception>
    public static Placement Fixed(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        return new Placement(cpu);
    }

    /// <inheritdoc />
    public bool Equals(Placement? other) => other is not null && other.Cpu == Cpu;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Placement);

    /// <inheritdoc />
    public override int GetHashCode() => Cpu.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Cpu is int cpu ? $"Fixed({cpu})" : "Unbound";
}
