using System.Runtime.InteropServices;
using ThreadPerCore.Redis.Protocol;

namespace ThreadPerCore.Redis.Commands;

/// <summary>How a command's reply is made from its shard ops.</summary>
internal enum ReplyShape : byte
{
    /// <summary>No shard involved: the connection answers (PING, INFO, CONFIG, ...).</summary>
    Server,

    /// <summary>The command is invalid: <see cref="PlannedCommand.Error"/> is the reply.</summary>
    Error,

    /// <summary>The reply is the one op's reply (GET, SET, INCR, TTL, ...).</summary>
    Single,

    /// <summary>An array of every op's reply, in key order (MGET).</summary>
    Array,

    /// <summary>The integer sum of the ops' counts (DEL, EXISTS, DBSIZE).</summary>
    Sum,

    /// <summary>+OK once every op ran (MSET, FLUSHALL).</summary>
    Ok,
}

/// <summary>One command of a batch, validated and split into shard ops (<see cref="OpCount"/> of them from
/// <see cref="FirstOp"/> in the batch's op table).</summary>
[StructLayout(LayoutKind.Auto)]
internal struct PlannedCommand
{
    public CommandId Id;
    public ReplyShape Shape;
    public CommandRange Args;
    public int FirstOp;
    public int OpCount;

    /// <summary>The error reply (code first, no CRLF) of an invalid command; allocated only for those.</summary>
    public string? Error;
}
