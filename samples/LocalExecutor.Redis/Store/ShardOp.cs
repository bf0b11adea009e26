using System.Runtime.InteropServices;

namespace ThreadPerCore.Redis.Store;

/// <summary>What a <see cref="ShardOp"/> does to its shard.</summary>
internal enum OpKind : byte
{
    /// <summary>GET, or one key of MGET: replies the value or a null bulk.</summary>
    Get,

    /// <summary>SET with its options: replies +OK, or a null bulk when NX/XX prevented it.</summary>
    Set,

    /// <summary>One pair of MSET: stores, no reply.</summary>
    Put,

    /// <summary>INCR/DECR/INCRBY/DECRBY by <see cref="ShardOp.Number"/>: replies the new value or an error.</summary>
    IncrBy,

    /// <summary>EXPIRE/PEXPIRE in <see cref="ShardOp.Number"/> milliseconds (0 or less deletes): replies :1 or :0.</summary>
    Expire,

    /// <summary>TTL: replies seconds, -1 (no deadline) or -2 (no key).</summary>
    Ttl,

    /// <summary>PTTL: as TTL in milliseconds.</summary>
    PTtl,

    /// <summary>One key of DEL: no reply, the result counts whether it existed.</summary>
    Delete,

    /// <summary>One key of EXISTS: no reply, the result counts whether it exists.</summary>
    Exists,

    /// <summary>One shard's part of DBSIZE: no reply, the result is its key count.</summary>
    Count,

    /// <summary>One shard's part of FLUSHALL: no reply.</summary>
    Flush,
}

/// <summary>Flags of an <see cref="OpKind.Set"/>.</summary>
internal static class SetFlags
{
    public const byte None = 0;
    public const byte IfNotExists = 1;
    public const byte IfExists = 2;

    /// <summary>Reply :1 or :0 (SETNX) instead of +OK or a null bulk.</summary>
    public const byte ReplyInteger = 4;
}

/// <summary>
/// One shard's part of a command, planned on the connection's core and run by the shard's own core: its arguments are
/// indexes into the batch's <c>RequestBuffer</c>, so it is a small struct copied into a reused array, never allocated.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct ShardOp
{
    public OpKind Kind;
    public byte Flags;
    public int Shard;
    public int KeyArg;
    public int ValueArg;

    /// <summary>The increment, or the expiry in milliseconds (0: none).</summary>
    public long Number;

    /// <summary>Where this op sits in its shard's cross-core batch; -1 when the connection runs it itself.</summary>
    public int Remote;

    /// <summary>True for kinds that write a reply (the others only return a count).</summary>
    public readonly bool Replies => Kind is OpKind.Get or OpKind.Set or OpKind.IncrBy or OpKind.Expire or OpKind.Ttl or OpKind.PTtl;
}
