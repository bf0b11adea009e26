using System;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>Maps a key to one of <c>count</c> shards by the high half of its hash (multiply-shift, no division).</summary>
internal static class ShardMap
{
    public static int ShardOf(ReadOnlySpan<byte> key, int count) =>
        count == 1 ? 0 : (int)(((ByteKeyComparer.Hash(key) >> 32) * (ulong)count) >> 32);
}
