using System;
using System.Text;
using ThreadPerCore.Redis.Commands;
using ThreadPerCore.Redis.Protocol;
using ThreadPerCore.Redis.Sharding;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis;

// Planning: each command of the batch is validated (arity, options, integer arguments) and split into shard ops; the
// ops of shards this thread may not touch go into that shard's batch, and the batches are sent before any reply is
// written, so the cores work in parallel.
public sealed partial class RespConnection
{
    /// <summary>Expiry times past this (about 73 million years) are refused, so deadline arithmetic never overflows.</summary>
    private const long MaxExpiryMs = long.MaxValue / 4;

    private void PlanBatch()
    {
        ReadOnlySpan<CommandRange> commands = _request.Commands;
        if (_plan.Length < commands.Length)
        {
            _plan = new PlannedCommand[Math.Max(commands.Length, _plan.Length * 2)];
        }

        _opCount = 0;
        for (int i = 0; i < commands.Length; i++)
        {
            Plan(ref _plan[i], commands[i]);
            if (_plan[i].Id == CommandId.Quit)
            {
                break; // nothing after QUIT runs, so nothing after it may be sent to a shard
            }
        }

        for (int shard = 0; shard < _batches.Length; shard++)
        {
            if (_batches[shard] is { HasOps: true } batch)
            {
                _sent[_sentCount++] = shard;
                _shards.Dispatch(batch);
            }
        }
    }

    private void Plan(ref PlannedCommand plan, CommandRange command)
    {
        plan = new PlannedCommand { Args = command, FirstOp = _opCount };
        CommandId id = CommandTable.Lookup(_request.Arg(command, 0));
        plan.Id = id;
        if (id == CommandId.Unknown)
        {
            Reject(ref plan, UnknownCommand(command));
            _server.Log?.Invoke($"client {ClientId}: {plan.Error}");
            return;
        }

        CommandInfo info = CommandTable.Info(id);
        if (!info.AcceptsArgCount(command.Count))
        {
            Reject(ref plan, WrongArity(info));
            return;
        }

        int key = command.First + 1;
        switch (id)
        {
            case CommandId.Get:
                plan.Shape = ReplyShape.Single;
                AddOp(ref plan, OpKind.Get, key);
                break;

            case CommandId.Set:
                PlanSet(ref plan, command);
                break;

            case CommandId.Incr:
            case CommandId.Decr:
                plan.Shape = ReplyShape.Single;
                AddOp(ref plan, OpKind.IncrBy, key, number: id == CommandId.Incr ? 1 : -1);
                break;

            case CommandId.IncrBy:
            case CommandId.DecrBy:
                if (!RespInteger.TryParse(_request.Arg(command, 2), out long delta))
                {
                    Reject(ref plan, NotAnInteger);
                    return;
                }

                if (id == CommandId.DecrBy && delta == long.MinValue)
                {
                    Reject(ref plan, "ERR decrement would overflow");
                    return;
                }

                plan.Shape = ReplyShape.Single;
                AddOp(ref plan, OpKind.IncrBy, key, number: id == CommandId.IncrBy ? delta : -delta);
                break;

            case CommandId.SetNx:
                plan.Shape = ReplyShape.Single;
                AddOp(ref plan, OpKind.Set, key, value: key + 1, flags: SetFlags.IfNotExists | SetFlags.ReplyInteger);
                break;

            case CommandId.MGet:
            case CommandId.Del:
            case CommandId.Unlink: // StackExchange.Redis deletes with UNLINK; freeing is not deferred here, so it is DEL
            case CommandId.Exists:
                plan.Shape = id == CommandId.MGet ? ReplyShape.Array : ReplyShape.Sum;
                OpKind each = id == CommandId.MGet ? OpKind.Get : id == CommandId.Exists ? OpKind.Exists : OpKind.Delete;
                for (int arg = 1; arg < command.Count; arg++)
                {
                    AddOp(ref plan, each, command.First + arg);
                }

                break;

            case CommandId.MSet:
                if (command.Count % 2 == 0)
                {
                    Reject(ref plan, WrongArity(info));
                    return;
                }

                plan.Shape = ReplyShape.Ok;
                for (int arg = 1; arg < command.Count; arg += 2)
                {
                    AddOp(ref plan, OpKind.Put, command.First + arg, value: command.First + arg + 1);
                }

                break;

            case CommandId.Expire:
            case CommandId.PExpire:
                if (!RespInteger.TryParse(_request.Arg(command, 2), out long amount))
                {
                    Reject(ref plan, NotAnInteger);
                    return;
                }

                if ((id == CommandId.Expire && Math.Abs(amount) > MaxExpiryMs / 1000) || Math.Abs(amount) > MaxExpiryMs)
                {
                    Reject(ref plan, $"ERR invalid expire time in '{info.Name}' command");
                    return;
                }

                plan.Shape = ReplyShape.Single;
                AddOp(ref plan, OpKind.Expire, key, number: id == CommandId.Expire ? amount * 1000 : amount);
                break;

            case CommandId.Ttl:
            case CommandId.PTtl:
                plan.Shape = ReplyShape.Single;
                AddOp(ref plan, id == CommandId.Ttl ? OpKind.Ttl : OpKind.PTtl, key);
                break;

            case CommandId.DbSize:
                plan.Shape = ReplyShape.Sum;
                AddOpPerShard(ref plan, OpKind.Count);
                break;

            case CommandId.FlushAll:
                if (command.Count > 2 || (command.Count == 2 && !IsWord(_request.Arg(command, 1), "ASYNC"u8) && !IsWord(_request.Arg(command, 1), "SYNC"u8)))
                {
                    Reject(ref plan, SyntaxError);
                    return;
                }

                plan.Shape = ReplyShape.Ok;
                AddOpPerShard(ref plan, OpKind.Flush);
                break;

            default:
                plan.Shape = ReplyShape.Server;
                break;
        }
    }

    private void PlanSet(ref PlannedCommand plan, CommandRange command)
    {
        byte flags = SetFlags.None;
        long ttlMs = 0;
        bool hasExpiry = false;
        for (int arg = 3; arg < command.Count; arg++)
        {
            ReadOnlySpan<byte> option = _request.Arg(command, arg);
            if (IsWord(option, "NX"u8) && (flags & SetFlags.IfExists) == 0)
            {
                flags |= SetFlags.IfNotExists;
            }
            else if (IsWord(option, "XX"u8) && (flags & SetFlags.IfNotExists) == 0)
            {
                flags |= SetFlags.IfExists;
            }
            else if ((IsWord(option, "EX"u8) || IsWord(option, "PX"u8)) && !hasExpiry && arg + 1 < command.Count)
            {
                hasExpiry = true;
                bool seconds = IsWord(option, "EX"u8);
                if (!RespInteger.TryParse(_request.Arg(command, ++arg), out long amount))
                {
                    Reject(ref plan, NotAnInteger);
                    return;
                }

                if (amount <= 0 || amount > (seconds ? MaxExpiryMs / 1000 : MaxExpiryMs))
                {
                    Reject(ref plan, "ERR invalid expire time in 'set' command");
                    return;
                }

                ttlMs = seconds ? amount * 1000 : amount;
            }
            else
            {
                Reject(ref plan, SyntaxError);
                return;
            }
        }

        plan.Shape = ReplyShape.Single;
        AddOp(ref plan, OpKind.Set, command.First + 1, value: command.First + 2, number: ttlMs, flags: flags);
    }

    private void AddOp(ref PlannedCommand plan, OpKind kind, int keyArg, int value = 0, long number = 0, byte flags = SetFlags.None) =>
        AddOp(ref plan, kind, _shards.ShardOf(_request.Arg(keyArg)), keyArg, value, number, flags);

    private void AddOpPerShard(ref PlannedCommand plan, OpKind kind)
    {
        for (int shard = 0; shard < _shards.Count; shard++)
        {
            AddOp(ref plan, kind, shard, keyArg: 0, value: 0, number: 0, flags: SetFlags.None);
        }
    }

    private void AddOp(ref PlannedCommand plan, OpKind kind, int shard, int keyArg, int value, long number, byte flags)
    {
        if (_opCount == _ops.Length)
        {
            Array.Resize(ref _ops, _ops.Length * 2);
        }

        var op = new ShardOp { Kind = kind, Flags = flags, Shard = shard, KeyArg = keyArg, ValueArg = value, Number = number, Remote = -1 };
        if (!_shards.IsLocal(shard))
        {
            ShardBatch batch = _batches[shard] ??= new ShardBatch(shard, _core, _request, _server.Stats);
            op.Remote = batch.Add(in op);
        }

        _ops[_opCount++] = op;
        plan.OpCount++;
    }

    private static void Reject(ref PlannedCommand plan, string error)
    {
        plan.Shape = ReplyShape.Error;
        plan.Error = error;
        plan.OpCount = 0;
    }

    private static bool IsWord(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> upper) => Ascii.EqualsIgnoreCase(arg, upper);

    private const string NotAnInteger = "ERR value is not an integer or out of range";

    private const string SyntaxError = "ERR syntax error";

    private static string WrongArity(CommandInfo info) => $"ERR wrong number of arguments for '{info.Name}' command";

    /// <summary>Redis's text: the name and the first arguments, each cut to 128 bytes, quoted.</summary>
    private string UnknownCommand(CommandRange command)
    {
        var text = new StringBuilder("ERR unknown command '");
        text.Append(Latin1(_request.Arg(command, 0), 128)).Append("', with args beginning with: ");
        int start = text.Length;
        for (int arg = 1; arg < command.Count && text.Length - start < 128; arg++)
        {
            text.Append('\'').Append(Latin1(_request.Arg(command, arg), 128 - (text.Length - start))).Append("' ");
        }

        return text.ToString();
    }

    /// <summary>Bytes as characters one for one (Latin-1), so an error quotes any bytes exactly.</summary>
    private static string Latin1(ReadOnlySpan<byte> bytes, int max) => Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, Math.Max(0, max))]);
}
