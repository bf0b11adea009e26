using System;
using System.Collections.Generic;
using System.Text;

namespace ThreadPerCore.Redis.Commands;

/// <summary>What <c>COMMAND</c> says about a command, and its arity.</summary>
/// <param name="Id">The command.</param>
/// <param name="Name">Its lowercase name, as error messages and <c>COMMAND</c> spell it.</param>
/// <param name="Arity">Redis's arity: N means exactly N arguments counting the name, -N at least N.</param>
/// <param name="Flags">Redis's command flags.</param>
/// <param name="FirstKey">Position of the first key argument (0: none).</param>
/// <param name="LastKey">Position of the last key (-1: the last argument).</param>
/// <param name="Step">Distance between keys.</param>
internal sealed record CommandInfo(CommandId Id, string Name, int Arity, string[] Flags, int FirstKey, int LastKey, int Step)
{
    /// <summary>True when <paramref name="argCount"/> (the name included) fits the arity.</summary>
    public bool AcceptsArgCount(int argCount) => Arity >= 0 ? argCount == Arity : argCount >= -Arity;
}

/// <summary>The command table: lookup by name without allocating, and the metadata <c>COMMAND</c> replies with.</summary>
internal static class CommandTable
{
    private static readonly CommandInfo[] s_byId = Build();

    /// <summary>Every command, in <see cref="CommandId"/> order (without <see cref="CommandId.Unknown"/>).</summary>
    public static IReadOnlyList<CommandInfo> All { get; } = s_byId[1..];

    /// <summary>The metadata of <paramref name="id"/>.</summary>
    public static CommandInfo Info(CommandId id) => s_byId[(int)id];

    /// <summary>Finds the command named <paramref name="name"/>, in any case, without allocating.</summary>
    public static CommandId Lookup(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 => Is(name, "GET"u8) ? CommandId.Get : Is(name, "SET"u8) ? CommandId.Set : Is(name, "DEL"u8) ? CommandId.Del : Is(name, "TTL"u8) ? CommandId.Ttl : CommandId.Unknown,
        4 => Is(name, "PING"u8) ? CommandId.Ping : Is(name, "ECHO"u8) ? CommandId.Echo : Is(name, "INCR"u8) ? CommandId.Incr
            : Is(name, "DECR"u8) ? CommandId.Decr : Is(name, "MGET"u8) ? CommandId.MGet : Is(name, "MSET"u8) ? CommandId.MSet
            : Is(name, "PTTL"u8) ? CommandId.PTtl : Is(name, "QUIT"u8) ? CommandId.Quit : Is(name, "INFO"u8) ? CommandId.Info : CommandId.Unknown,
        5 => Is(name, "HELLO"u8) ? CommandId.Hello : Is(name, "SETNX"u8) ? CommandId.SetNx : CommandId.Unknown,
        6 => Is(name, "EXISTS"u8) ? CommandId.Exists : Is(name, "INCRBY"u8) ? CommandId.IncrBy : Is(name, "DECRBY"u8) ? CommandId.DecrBy
            : Is(name, "EXPIRE"u8) ? CommandId.Expire : Is(name, "DBSIZE"u8) ? CommandId.DbSize : Is(name, "CONFIG"u8) ? CommandId.Config
            : Is(name, "CLIENT"u8) ? CommandId.Client : Is(name, "SELECT"u8) ? CommandId.Select : Is(name, "UNLINK"u8) ? CommandId.Unlink : CommandId.Unknown,
        7 => Is(name, "PEXPIRE"u8) ? CommandId.PExpire : Is(name, "COMMAND"u8) ? CommandId.Command : CommandId.Unknown,
        8 => Is(name, "FLUSHALL"u8) ? CommandId.FlushAll : CommandId.Unknown,
        _ => CommandId.Unknown,
    };

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> upper) => Ascii.EqualsIgnoreCase(name, upper);

    private static CommandInfo[] Build()
    {
        CommandInfo[] table =
        [
            new(CommandId.Unknown, "", 0, [], 0, 0, 0),
            new(CommandId.Ping, "ping", -1, ["fast"], 0, 0, 0),
            new(CommandId.Echo, "echo", 2, ["fast"], 0, 0, 0),
            new(CommandId.Get, "get", 2, ["readonly", "fast"], 1, 1, 1),
            new(CommandId.Set, "set", -3, ["write", "denyoom"], 1, 1, 1),
            new(CommandId.Del, "del", -2, ["write"], 1, -1, 1),
            new(CommandId.Exists, "exists", -2, ["readonly", "fast"], 1, -1, 1),
            new(CommandId.Incr, "incr", 2, ["write", "denyoom", "fast"], 1, 1, 1),
            new(CommandId.Decr, "decr", 2, ["write", "denyoom", "fast"], 1, 1, 1),
            new(CommandId.IncrBy, "incrby", 3, ["write", "denyoom", "fast"], 1, 1, 1),
            new(CommandId.DecrBy, "decrby", 3, ["write", "denyoom", "fast"], 1, 1, 1),
            new(CommandId.MGet, "mget", -2, ["readonly", "fast"], 1, -1, 1),
            new(CommandId.MSet, "mset", -3, ["write", "denyoom"], 1, -1, 2),
            new(CommandId.Expire, "expire", 3, ["write", "fast"], 1, 1, 1),
            new(CommandId.PExpire, "pexpire", 3, ["write", "fast"], 1, 1, 1),
            new(CommandId.Ttl, "ttl", 2, ["readonly", "fast"], 1, 1, 1),
            new(CommandId.PTtl, "pttl", 2, ["readonly", "fast"], 1, 1, 1),
            new(CommandId.DbSize, "dbsize", 1, ["readonly", "fast"], 0, 0, 0),
            new(CommandId.FlushAll, "flushall", -1, ["write"], 0, 0, 0),
            new(CommandId.Quit, "quit", -1, ["fast"], 0, 0, 0),
            new(CommandId.Info, "info", -1, ["stale"], 0, 0, 0),
            new(CommandId.Config, "config", -2, ["admin", "stale"], 0, 0, 0),
            new(CommandId.Command, "command", -1, ["stale"], 0, 0, 0),
            new(CommandId.Client, "client", -2, ["stale"], 0, 0, 0),
            new(CommandId.Select, "select", 2, ["stale", "fast"], 0, 0, 0),
            new(CommandId.Hello, "hello", -1, ["fast", "stale"], 0, 0, 0),
            new(CommandId.Unlink, "unlink", -2, ["write", "fast"], 1, -1, 1),
            new(CommandId.SetNx, "setnx", 3, ["write", "denyoom", "fast"], 1, 1, 1),
        ];

        for (int i = 0; i < table.Length; i++)
        {
            if ((int)table[i].Id != i)
            {
                throw new InvalidOperationException($"Command table row {i} is {table[i].Id}: keep it in CommandId order.");
            }
        }

        return table;
    }
}
