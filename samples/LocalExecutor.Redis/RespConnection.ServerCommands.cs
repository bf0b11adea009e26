using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using ThreadPerCore.Redis.Commands;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Protocol;

namespace ThreadPerCore.Redis;

// The commands no shard is involved in: PING, ECHO, QUIT, SELECT, INFO, CONFIG, COMMAND, CLIENT, HELLO. Only PING and
// ECHO are on a hot path; the others may allocate.
public sealed partial class RespConnection
{
    private string? _clientName;

    private void WriteServerReply(CommandId id, CommandRange command)
    {
        switch (id)
        {
            case CommandId.Ping when command.Count == 1:
                Resp.Raw(_output, Resp.Pong);
                break;

            case CommandId.Ping when command.Count == 2:
            case CommandId.Echo:
                Resp.Bulk(_output, _request.Arg(command, 1));
                break;

            case CommandId.Ping:
                Resp.Error(_output, WrongArity(CommandTable.Info(id)));
                break;

            case CommandId.Quit:
                Resp.Raw(_output, Resp.Ok);
                _closing = true;
                break;

            case CommandId.Select:
                if (!RespInteger.TryParse(_request.Arg(command, 1), out long db))
                {
                    Resp.Error(_output, NotAnInteger);
                }
                else if (db != 0)
                {
                    Resp.Error(_output, "ERR DB index is out of range");
                }
                else
                {
                    Resp.Raw(_output, Resp.Ok);
                }

                break;

            case CommandId.Info:
                Resp.Bulk(_output, InfoReport.Build(_server, Sections(command)));
                break;

            case CommandId.Config:
                WriteConfig(command);
                break;

            case CommandId.Command:
                WriteCommand(command);
                break;

            case CommandId.Client:
                WriteClient(command);
                break;

            case CommandId.Hello:
                WriteHello(command);
                break;

            default:
                Resp.Error(_output, $"ERR '{CommandTable.Info(id).Name}' is not a server command");
                break;
        }
    }

    private List<string> Sections(CommandRange command)
    {
        var sections = new List<string>();
        for (int arg = 1; arg < command.Count; arg++)
        {
            sections.Add(Encoding.Latin1.GetString(_request.Arg(command, arg)).ToLowerInvariant());
        }

        return sections;
    }

    private void WriteConfig(CommandRange command)
    {
        ReadOnlySpan<byte> sub = _request.Arg(command, 1);
        if (IsWord(sub, "GET"u8) && command.Count >= 3)
        {
            var matches = new List<KeyValuePair<string, string>>();
            foreach (KeyValuePair<string, string> parameter in ConfigParameters())
            {
                for (int arg = 2; arg < command.Count; arg++)
                {
                    if (Glob.Matches(_request.Arg(command, arg), parameter.Key))
                    {
                        matches.Add(parameter);
                        break;
                    }
                }
            }

            Resp.ArrayHeader(_output, matches.Count * 2);
            foreach (KeyValuePair<string, string> match in matches)
            {
                Resp.Bulk(_output, match.Key);
                Resp.Bulk(_output, match.Value);
            }
        }
        else if (IsWord(sub, "RESETSTAT"u8) && command.Count == 2)
        {
            Resp.Raw(_output, Resp.Ok);
        }
        else if (IsWord(sub, "SET"u8))
        {
            Resp.Error(_output, "ERR CONFIG SET is not supported by this server");
        }
        else
        {
            Resp.Error(_output, UnknownSubcommand(sub, "CONFIG"));
        }
    }

    private IEnumerable<KeyValuePair<string, string>> ConfigParameters()
    {
        yield return new("save", "");
        yield return new("appendonly", "no");
        yield return new("databases", "1");
        yield return new("port", _server.Port.ToString(CultureInfo.InvariantCulture));
        yield return new("maxmemory", "0");
        yield return new("timeout", "0");
        yield return new("io-threads", "1");
        yield return new("replica-read-only", "yes");
        yield return new("slave-read-only", "yes");
        yield return new("proto-max-bulk-len", _server.MaxBulkLength.ToString(CultureInfo.InvariantCulture));
        yield return new("cluster-enabled", "no");
    }

    private void WriteCommand(CommandRange command)
    {
        if (command.Count == 1)
        {
            Resp.ArrayHeader(_output, CommandTable.All.Count);
            foreach (CommandInfo info in CommandTable.All)
            {
                WriteCommandInfo(info);
            }

            return;
        }

        ReadOnlySpan<byte> sub = _request.Arg(command, 1);
        if (IsWord(sub, "COUNT"u8))
        {
            Resp.Integer(_output, CommandTable.All.Count);
        }
        else if (IsWord(sub, "DOCS"u8))
        {
            Resp.Raw(_output, Resp.EmptyArray); // an empty map: clients fall back to their own help
        }
        else if (IsWord(sub, "LIST"u8))
        {
            Resp.ArrayHeader(_output, CommandTable.All.Count);
            foreach (CommandInfo info in CommandTable.All)
            {
                Resp.Bulk(_output, info.Name);
            }
        }
        else if (IsWord(sub, "INFO"u8))
        {
            Resp.ArrayHeader(_output, command.Count - 2);
            for (int arg = 2; arg < command.Count; arg++)
            {
                CommandId id = CommandTable.Lookup(_request.Arg(command, arg));
                if (id == CommandId.Unknown)
                {
                    Resp.Raw(_output, Resp.NullBulk);
                }
                else
                {
                    WriteCommandInfo(CommandTable.Info(id));
                }
            }
        }
        else
        {
            Resp.Error(_output, UnknownSubcommand(sub, "COMMAND"));
        }
    }

    /// <summary>Redis 7's ten fields: name, arity, flags, first key, last key, step, ACL categories, tips, key specs,
    /// subcommands (the last four empty).</summary>
    private void WriteCommandInfo(CommandInfo info)
    {
        Resp.ArrayHeader(_output, 10);
        Resp.Bulk(_output, info.Name);
        Resp.Integer(_output, info.Arity);
        Resp.ArrayHeader(_output, info.Flags.Length);
        foreach (string flag in info.Flags)
        {
            Resp.Simple(_output, Encoding.ASCII.GetBytes(flag));
        }

        Resp.Integer(_output, info.FirstKey);
        Resp.Integer(_output, info.LastKey);
        Resp.Integer(_output, info.Step);
        for (int i = 0; i < 4; i++)
        {
            Resp.Raw(_output, Resp.EmptyArray);
        }
    }

    private void WriteClient(CommandRange command)
    {
        ReadOnlySpan<byte> sub = _request.Arg(command, 1);
        if (IsWord(sub, "SETNAME"u8) && command.Count == 3)
        {
            ReadOnlySpan<byte> name = _request.Arg(command, 2);
            if (name.IndexOfAnyInRange((byte)0, (byte)' ') >= 0 || name.IndexOfAnyInRange((byte)0x7f, (byte)0xff) >= 0)
            {
                Resp.Error(_output, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }

            _clientName = name.IsEmpty ? null : Encoding.ASCII.GetString(name);
            Resp.Raw(_output, Resp.Ok);
        }
        else if (IsWord(sub, "GETNAME"u8) && command.Count == 2)
        {
            if (_clientName is null)
            {
                Resp.Raw(_output, Resp.NullBulk);
            }
            else
            {
                Resp.Bulk(_output, _clientName);
            }
        }
        else if (IsWord(sub, "ID"u8) && command.Count == 2)
        {
            Resp.Integer(_output, ClientId);
        }
        else if (IsWord(sub, "SETINFO"u8) && command.Count == 4)
        {
            Resp.Raw(_output, Resp.Ok);
        }
        else if ((IsWord(sub, "INFO"u8) && command.Count == 2) || (IsWord(sub, "LIST"u8) && command.Count == 2))
        {
            // core= (not a Redis field) is the executor serving this connection: the shard it touches without a hop.
            string core = _core >= 0 ? string.Create(CultureInfo.InvariantCulture, $" core={_core}") : "";
            Resp.Bulk(_output, string.Create(CultureInfo.InvariantCulture, $"id={ClientId} name={_clientName} db=0{core} cmd=client|{(IsWord(sub, "INFO"u8) ? "info" : "list")}\n"));
        }
        else
        {
            Resp.Error(_output, UnknownSubcommand(sub, "CLIENT"));
        }
    }

    private void WriteHello(CommandRange command)
    {
        if (command.Count >= 2)
        {
            if (!RespInteger.TryParse(_request.Arg(command, 1), out long version))
            {
                Resp.Error(_output, "ERR Protocol version is not an integer or out of range");
                return;
            }

            if (version != 2)
            {
                Resp.Error(_output, "NOPROTO this server speaks RESP2 only");
                return;
            }

            for (int arg = 2; arg < command.Count; arg++)
            {
                ReadOnlySpan<byte> option = _request.Arg(command, arg);
                if (IsWord(option, "SETNAME"u8) && arg + 1 < command.Count)
                {
                    _clientName = Encoding.ASCII.GetString(_request.Arg(command, ++arg));
                }
                else
                {
                    Resp.Error(_output, IsWord(option, "AUTH"u8) ? "ERR this server has no authentication" : SyntaxError);
                    return;
                }
            }
        }

        Resp.ArrayHeader(_output, 14);
        Resp.Bulk(_output, "server"u8);
        Resp.Bulk(_output, "redis"u8);
        Resp.Bulk(_output, "version"u8);
        Resp.Bulk(_output, InfoReport.RedisVersion);
        Resp.Bulk(_output, "proto"u8);
        Resp.Integer(_output, 2);
        Resp.Bulk(_output, "id"u8);
        Resp.Integer(_output, ClientId);
        Resp.Bulk(_output, "mode"u8);
        Resp.Bulk(_output, "standalone"u8);
        Resp.Bulk(_output, "role"u8);
        Resp.Bulk(_output, "master"u8);
        Resp.Bulk(_output, "modules"u8);
        Resp.Raw(_output, Resp.EmptyArray);
    }

    private static string UnknownSubcommand(ReadOnlySpan<byte> sub, string command) =>
        $"ERR unknown subcommand '{Latin1(sub, 128)}'. Try {command} HELP.";
}
