using System;
using System.Collections.Generic;
using System.Numerics;

namespace ThreadPerCore.Platform;

/// <summary>
/// An immutable set of logical CPU numbers in the range 0 to <see cref="MaxCpu"/> (1023),
/// the range of a Linux <c>cpu_set_t</c>.
/// </summary>
/// <remarks>
/// The default value is the empty set. Enumeration yields CPU numbers in ascending order, and
/// <see cref="ToString"/> and <see cref="Parse"/> use the Linux CPU list syntax, for example <c>0-3,8,10-11</c>.
/// </remarks>
public readonly partial struct CpuSet : IEquatable<CpuSet>, IEnumerable<int>
{
    /// <summary>The highest CPU number a set can hold.</summary>
    public const int MaxCpu = 1023;

    /// <summary>How many 64-bit words a full native mask of <see cref="MaxCpu"/> + 1 bits has.</summary>
    internal const int MaskWords = (MaxCpu + 1) / 64;

    /// <summary>How many bytes a full native mask has (128).</summary>
    internal const int MaskBytes = MaskWords * sizeof(ulong);

    // Bits, lowest CPU in word 0. Trimmed: null when empty, otherwise the last word is non-zero.
    private readonly ulong[]? _words;

    private CpuSet(ulong[]? trimmedWords) => _words = trimmedWords;

    /// <summary>Gets the empty set.</summary>
    public static CpuSet Empty => default;

    /// <summary>Gets how many CPUs the set holds.</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (ulong word in Words)
            {
                count += BitOperations.PopCount(word);
            }

            return count;
        }
    }

    /// <summary>Gets a value indicating whether the set holds no CPU.</summary>
    public bool IsEmpty => _words is null;

    /// <summary>Gets the lowest CPU number in the set.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public int Min
    {
        get
        {
            ReadOnlySpan<ulong> words = Words;
            for (int i = 0; i < words.Length; i++)
            {
                if (words[i] != 0)
                {
                    return (i * 64) + BitOperations.TrailingZeroCount(words[i]);
                }
            }

            throw new InvalidOperationException("The CPU set is empty, so it has no lowest CPU.");
        }
    }

    /// <summary>Gets the highest CPU number in the set.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public int Max
    {
        get
        {
            ReadOnlySpan<ulong> words = Words;
            if (words.IsEmpty)
            {
                throw new InvalidOperationException("The CPU set is empty, so it has no highest CPU.");
            }

            int last = words.Length - 1;
            return (last * 64) + 63 - BitOperations.LeadingZeroCount(words[last]);
        }
    }

    private ReadOnlySpan<ulong> Words => _words;

    /// <summary>Returns whether two sets hold the same CPUs.</summary>
    /// <param name="left">The first set.</param>
    /// <param name="right">The second set.</param>
    /// <returns><see langword="true"/> when both sets hold the same CPUs.</returns>
    public static bool operator ==(CpuSet left, CpuSet right) => left.Equals(right);

    /// <summary>Returns whether two sets differ.</summary>
    /// <param name="left">The first set.</param>
    /// <param name="right">The second set.</param>
    /// <returns><see langword="true"/> when the sets do not hold the same CPUs.</returns>
    public static bool operator !=(CpuSet left, CpuSet right) => !left.Equals(right);

    /// <summary>Creates a set of the given CPU numbers; duplicates are allowed.</summary>
    /// <param name="cpus">CPU numbers, each from 0 to <see cref="MaxCpu"/>.</param>
    /// <returns>The set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cpus"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A CPU number is outside 0 to <see cref="MaxCpu"/>.</exception>
    public static CpuSet Of(params int[] cpus) => Of((IEnumerable<int>)cpus);

    /// <summary>Creates a set of the given CPU numbers; duplicates are allowed.</summary>
    /// <param name="cpus">CPU numbers, each from 0 to <see cref="MaxCpu"/>.</param>
    /// <returns>The set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cpus"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A CPU number is outside 0 to <see cref="MaxCpu"/>.</exception>
    public static CpuSet Of(IEnumerable<int> cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        Span<ulong> mask = stackalloc ulong[MaskWords];
        foreach (int cpu in cpus)
        {
            if ((uint)cpu > MaxCpu)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(cpus), cpu, $"CPU number {cpu} is outside 0-{MaxCpu}.");
            }

            mask[cpu >> 6] |= 1UL << (cpu & 63);
        }

        return FromMask(mask);
    }

    /// <summary>Creates the set of <paramref name="count"/> consecutive CPUs starting at <paramref name="first"/>.</summary>
    /// <param name="first">The first CPU number.</param>
    /// <param name="count">How many CPUs; may be 0.</param>
    /// <returns>The set.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="first"/> is negative, <paramref name="count"/> is negative, or the range goes past <see cref="MaxCpu"/>.
    /// </exception>
    public static CpuSet Range(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return Empty;
        }

        if (first > MaxCpu || count > MaxCpu + 1 - first)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count), count, $"The range of {count} CPUs from {first} goes past CPU {MaxCpu}.");
        }

        Span<ulong> mask = stackalloc ulong[MaskWords];
        SetRange(mask, first, first + count - 1);
        return FromMask(mask);
    }

    /// <summary>Creates a set from a native bit mask, CPU 0 being bit 0 of word 0; bits past <see cref="MaxCpu"/> are ignored.</summary>
    /// <param name="mask">The mask words.</param>
    /// <returns>The set.</returns>
    internal static CpuSet FromMask(ReadOnlySpan<ulong> mask)
    {
        if (mask.Length > MaskWords)
        {
            mask = mask[..MaskWords];
        }

        int length = mask.Length;
        while (length > 0 && mask[length - 1] == 0)
        {
            length--;
        }

        return length == 0 ? Empty : new CpuSet(mask[..length].ToArray());
    }

    /// <summary>Returns whether the set holds <paramref name="cpu"/>; false for numbers outside 0 to <see cref="MaxCpu"/>.</summary>
    /// <param name="cpu">A CPU number.</param>
    /// <returns><see langword="true"/> when the set holds <paramref name="cpu"/>.</returns>
    public bool Contains(int cpu)
    {
        ReadOnlySpan<ulong> words = Words;
        int index = cpu >> 6;
        return cpu >= 0 && index < words.Length && (words[index] & (1UL << (cpu & 63))) != 0;
    }

    /// <summary>Returns the CPUs held by both this set and <paramref name="other"/>.</summary>
    /// <param name="other">The other set.</param>
    /// <returns>The intersection.</returns>
    public CpuSet Intersect(CpuSet other)
    {
        ReadOnlySpan<ulong> a = Words;
        ReadOnlySpan<ulong> b = other.Words;
        Span<ulong> mask = stackalloc ulong[Math.Min(a.Length, b.Length)];
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = a[i] & b[i];
        }

        return FromMask(mask);
    }

    /// <summary>Returns the CPUs held by this set, <paramref name="other"/>, or both.</summary>
    /// <param name="other">The other set.</param>
    /// <returns>The union.</returns>
    public CpuSet Union(CpuSet other)
    {
        ReadOnlySpan<ulong> a = Words;
        ReadOnlySpan<ulong> b = other.Words;
        Span<ulong> mask = stackalloc ulong[Math.Max(a.Length, b.Length)];
        a.CopyTo(mask);
        for (int i = 0; i < b.Length; i++)
        {
            mask[i] |= b[i];
        }

        return FromMask(mask);
    }

    /// <summary>Returns the CPUs of this set that <paramref name="other"/> does not hold.</summary>
    /// <param name="other">The CPUs to remove.</param>
    /// <returns>The difference.</returns>
    public CpuSet Except(CpuSet other)
    {
        ReadOnlySpan<ulong> a = Words;
        ReadOnlySpan<ulong> b = other.Words;
        Span<ulong> mask = stackalloc ulong[a.Length];
        a.CopyTo(mask);
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            mask[i] &= ~b[i];
        }

        return FromMask(mask);
    }

    /// <summary>
    /// Writes the set into a native bit mask, CPU 0 being bit 0 of word 0, and clears the rest of the mask.
    /// A full mask (<see cref="MaskWords"/> words, 128 bytes) can hold any set.
    /// </summary>
    /// <param name="mask">The destination.</param>
    /// <exception cref="ArgumentException"><paramref name="mask"/> is too short for the highest CPU in the set.</exception>
    internal void CopyTo(Span<ulong> mask)
    {
        ReadOnlySpan<ulong> words = Words;
        if (mask.Length < words.Length)
        {
            throw new ArgumentException(
                $"A mask of {mask.Length} words cannot hold CPU {Max}; {words.Length} words are needed.", nameof(mask));
        }

        words.CopyTo(mask);
        mask[words.Length..].Clear();
    }

    /// <summary>Returns whether <paramref name="other"/> holds the same CPUs.</summary>
    /// <param name="other">The other set.</param>
    /// <returns><see langword="true"/> when both sets hold the same CPUs.</returns>
    public bool Equals(CpuSet other) => Words.SequenceEqual(other.Words);

    /// <summary>Returns whether <paramref name="obj"/> is a <see cref="CpuSet"/> holding the same CPUs.</summary>
    /// <param name="obj">The other object.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => obj is CpuSet other && Equals(other);

    /// <summary>Returns a hash code of the CPUs held.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (ulong word in Words)
        {
            hash.Add(word);
        }

        return hash.ToHashCode();
    }

    private static void SetRange(Span<ulong> mask, int first, int last)
    {
        for (int cpu = first; cpu <= last; cpu++)
        {
            mask[cpu >> 6] |= 1UL << (cpu & 63);
        }
    }
}
