using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>
/// Maps keys to shards. The default hash is <see cref="EqualityComparer{T}.Default"/>'s hash code (0 for null), mixed
/// with the MurmurHash3 finalizer so that keys differing only in their low or high bits still spread evenly, then
/// reduced to <c>[0, count)</c> by a multiply-shift (Lemire's reduction: no division). A user hash is reduced by
/// unsigned modulo, so a hash that already returns a shard number in range keeps it.
/// </summary>
internal static class ShardHash
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Default<TKey>(TKey key, int count)
    {
        uint h = (uint)(key is null ? 0 : EqualityComparer<TKey>.Default.GetHashCode(key));
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return (int)(((ulong)h * (uint)count) >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(int hash, int count) => (int)((uint)hash % (uint)count);
}
