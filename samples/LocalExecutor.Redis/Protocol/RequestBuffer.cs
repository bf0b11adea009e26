using System;
using System.Buffers;
using System.Diagnostics;

namespace ThreadPerCore.Redis.Protocol;

/// <summary>Where an argument's bytes are in <see cref="RequestBuffer.Arena"/>.</summary>
internal readonly record struct ArgRange(int Offset, int Length);

/// <summary>Which arguments make up one command: <see cref="Count"/> of them from <see cref="First"/>.</summary>
internal readonly record struct CommandRange(int First, int Count);

/// <summary>
/// The commands of one pipelined batch of a connection: every argument's bytes copied into one arena, so commands are
/// read from spans whatever segments the socket delivered them in, and a shard on another core can read them while
/// the connection waits (the arena does not change until every hop of the batch came back).
/// </summary>
/// <remarks>The arena and the tables are reused batch after batch; they grow only for bigger batches or values, and an
/// arena grown past <see cref="LargeArena"/> by a large value is given back once the value has been served.</remarks>
[DebuggerDisplay("{CommandCount} commands, {ArgCount} args, {Used} bytes")]
internal sealed class RequestBuffer : IDisposable
{
    /// <summary>An arena this large is returned to the pool after its batch instead of being kept.</summary>
    public const int LargeArena = 1024 * 1024;

    private const int InitialArena = 4096;

    private byte[] _arena = ArrayPool<byte>.Shared.Rent(InitialArena);
    private ArgRange[] _args = new ArgRange[64];
    private CommandRange[] _commands = new CommandRange[32];
    private int _partialFirstArg;

    /// <summary>The bytes of every argument, back to back.</summary>
    public byte[] Arena => _arena;

    /// <summary>How many arena bytes are in use.</summary>
    public int Used { get; private set; }

    /// <summary>How many arguments are complete (those of complete commands and of the command being read).</summary>
    public int ArgCount { get; private set; }

    /// <summary>How many complete commands the batch has.</summary>
    public int CommandCount { get; private set; }

    /// <summary>The complete commands.</summary>
    public ReadOnlySpan<CommandRange> Commands => _commands.AsSpan(0, CommandCount);

    /// <summary>The bytes of argument <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Arg(int index)
    {
        ArgRange range = _args[index];
        return _arena.AsSpan(range.Offset, range.Length);
    }

    /// <summary>The bytes of argument <paramref name="index"/> of <paramref name="command"/>.</summary>
    public ReadOnlySpan<byte> Arg(CommandRange command, int index) => Arg(command.First + index);

    /// <summary>Starts the next command; its arguments follow.</summary>
    public void BeginCommand() => _partialFirstArg = ArgCount;

    /// <summary>Completes the command begun last.</summary>
    public void EndCommand()
    {
        if (CommandCount == _commands.Length)
        {
            Array.Resize(ref _commands, _commands.Length * 2);
        }

        _commands[CommandCount++] = new CommandRange(_partialFirstArg, ArgCount - _partialFirstArg);
        _partialFirstArg = ArgCount;
    }

    /// <summary>Drops a command begun but not ended (an empty inline line).</summary>
    public void AbandonCommand()
    {
        ArgCount = _partialFirstArg;
        Used = ArgCount == 0 ? 0 : _args[ArgCount - 1].Offset + _args[ArgCount - 1].Length;
    }

    /// <summary>Starts an argument at the end of the arena; <c>Append</c> fills it.</summary>
    /// <param name="expectedLength">How long it will be (a bulk's declared length), so that the arena grows once to
    /// fit rather than doubling past it; it grows only as bytes arrive.</param>
    public void BeginArg(long expectedLength)
    {
        if (ArgCount == _args.Length)
        {
            Array.Resize(ref _args, _args.Length * 2);
        }

        _args[ArgCount] = new ArgRange(Used, 0);
        _expectedEnd = Used + expectedLength;
    }

    private long _expectedEnd;

    /// <summary>Appends bytes to the argument begun last.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_arena.AsSpan(Used));
        Used += bytes.Length;
        ArgRange current = _args[ArgCount];
        _args[ArgCount] = current with { Length = current.Length + bytes.Length };
    }

    /// <summary>Appends bytes to the argument begun last.</summary>
    public void Append(ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            Append(bytes.FirstSpan);
            return;
        }

        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            Append(segment.Span);
        }
    }

    /// <summary>Appends one byte to the argument begun last.</summary>
    public void Append(byte value)
    {
        Ensure(1);
        _arena[Used++] = value;
        ArgRange current = _args[ArgCount];
        _args[ArgCount] = current with { Length = current.Length + 1 };
    }

    /// <summary>Completes the argument begun last.</summary>
    public void EndArg() => ArgCount++;

    /// <summary>
    /// After the batch was served: forgets its commands, keeping the command being read (its arguments move to the front
    /// of the arena), and gives back an arena that a large value grew.
    /// </summary>
    /// <param name="partialArgInProgress">True when an argument of the partial command has begun and is not complete
    /// (a bulk whose bytes are still arriving): it moves too.</param>
    public void Recycle(bool partialArgInProgress)
    {
        int firstByte = _partialFirstArg < ArgCount || partialArgInProgress ? _args[_partialFirstArg].Offset : Used;
        int keptBytes = Used - firstByte;
        int keptArgs = ArgCount - _partialFirstArg + (partialArgInProgress ? 1 : 0);
        byte[] arena = _arena;
        if (arena.Length > LargeArena && keptBytes < InitialArena)
        {
            _arena = ArrayPool<byte>.Shared.Rent(InitialArena);
        }

        arena.AsSpan(firstByte, keptBytes).CopyTo(_arena);
        for (int i = 0; i < keptArgs; i++)
        {
            ArgRange range = _args[_partialFirstArg + i];
            _args[i] = range with { Offset = range.Offset - firstByte };
        }

        if (!ReferenceEquals(arena, _arena))
        {
            ArrayPool<byte>.Shared.Return(arena);
        }

        _expectedEnd -= firstByte;
        Used = keptBytes;
        ArgCount -= _partialFirstArg;
        _partialFirstArg = 0;
        CommandCount = 0;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_arena);
        _arena = [];
    }

    private void Ensure(int extra)
    {
        long needed = (long)Used + extra;
        if (needed <= _arena.Length)
        {
            return;
        }

        // Grow by doubling, but not past what the argument being read said it needs: a 16 MB value gets a 16 MB arena.
        long size = Math.Max(needed, Math.Min((long)_arena.Length * 2, Math.Max(_expectedEnd, needed)));
        if (size > Array.MaxLength)
        {
            throw new InsufficientMemoryException($"A request needs {size} bytes, more than an array holds.");
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent((int)size);
        _arena.AsSpan(0, Used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_arena);
        _arena = bigger;
    }
}
