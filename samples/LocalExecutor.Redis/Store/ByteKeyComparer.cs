using System;
using System.Collections.Generic;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace ThreadPerCore.Redis.Store;

/// <summary>
/// Compares keys as bytes, and lets a dictionary keyed by <c>byte[]</c> be searched with a span of the request buffer
/// (<c>GetAlternateLookup&lt;ReadOnlySpan&lt;byte&gt;&gt;</c>), so a lookup allocates nothing. The hash is XXH3 with a
/// seed chosen per process, so clients cannot aim keys at one bucket.
/// </summary>
internal sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    private static readonly long s_seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(sizeof(long)));

    private ByteKeyComparer()
    {
    }

    /// <summary>The comparer.</summary>
    public static ByteKeyComparer Instance { get; } = new();

    /// <summary>The 64-bit hash of a key: its low half buckets the dictionary, its high half picks the shard.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key, s_seed);

    /// <inheritdoc />
    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    /// <inheritdoc />
    public int GetHashCode(byte[] obj) => (int)Hash(obj);

    /// <inheritdoc />
    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    /// <inheritdoc />
    public int GetHashCode(ReadOnlySpan<byte> alternate) => (int)Hash(alternate);

    /// <inheritdoc />
    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
