namespace ThreadPerCore.Redis.Commands;

/// <summary>The commands the server knows.</summary>
internal enum CommandId : byte
{
    Unknown,
    Ping,
    Echo,
    Get,
    Set,
    Del,
    Exists,
    Incr,
    Decr,
    IncrBy,
    DecrBy,
    MGet,
    MSet,
    Expire,
    PExpire,
    Ttl,
    PTtl,
    DbSize,
    FlushAll,
    Quit,
    Info,
    Config,
    Command,
    Client,
    Select,
    Hello,
    Unlink,
    SetNx,
}
