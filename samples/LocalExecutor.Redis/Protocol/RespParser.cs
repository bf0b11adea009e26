using System;
using System.Buffers;

namespace ThreadPerCore.Redis.Protocol;

/// <summary>What <see cref="RespParser.Parse"/> stopped on.</summary>
internal enum ParseStatus
{
    /// <summary>Everything given was consumed (or a partial header waits for its end): read more.</summary>
    NeedMore,

    /// <summary>The batch is full; unconsumed input is left for the next batch.</summary>
    BatchFull,

    /// <summary>The input is not RESP: <see cref="RespParser.Error"/> says why; reply it and close.</summary>
    ProtocolError,
}

/// <summary>
/// An incremental RESP2 request parser: multibulk commands (<c>*N</c> then N <c>$len</c> bulk strings, what every
/// client library sends) and inline commands (a plain line, what a person types into telnet). It copies arguments into
/// a <see cref="RequestBuffer"/> as bytes arrive, so a command split at any byte boundary parses the same, and a large
/// value streams into the arena instead of piling up unconsumed in the pipe.
/// </summary>
/// <remarks>Limits and error texts follow Redis: 1,048,576 arguments per command, 64 KB per inline line or header,
/// bulk strings up to <see cref="MaxBulkLength"/> (512 MB by default).</remarks>
internal sealed class RespParser
{
    /// <summary>The most arguments of one multibulk command.</summary>
    public const int MaxArgs = 1024 * 1024;

    /// <summary>The longest inline command line, and the most bytes a header may take before its CRLF.</summary>
    public const int MaxInlineLength = 64 * 1024;

    /// <summary>The longest header line that can hold a valid count ("*" or "$", an integer, CR).</summary>
    private const int MaxHeaderLine = 1 + RespInteger.MaxLength + 1;

    private State _state;
    private int _argsLeft;
    private long _bulkLeft;

    /// <summary>Creates a parser.</summary>
    /// <param name="maxBulkLength">The longest bulk string accepted.</param>
    public RespParser(long maxBulkLength)
    {
        MaxBulkLength = maxBulkLength;
    }

    private enum State : byte
    {
        CommandStart,
        BulkHeader,
        BulkBody,
        BulkEnd,
    }

    /// <summary>The longest bulk string accepted.</summary>
    public long MaxBulkLength { get; }

    /// <summary>Why parsing failed, once <see cref="ParseStatus.ProtocolError"/> was returned ("ERR Protocol error: ...").</summary>
    public string? Error { get; private set; }

    /// <summary>True while a command has begun but is not complete.</summary>
    public bool InCommand => _state != State.CommandStart;

    /// <summary>True while a bulk string has begun and not all of its bytes arrived (its argument is open).</summary>
    public bool InArgument => _state is State.BulkBody or State.BulkEnd;

    /// <summary>
    /// Consumes input from <paramref name="reader"/> into <paramref name="into"/> until the input runs out, the batch is
    /// full or the input is not RESP. The reader's position is then the first byte not consumed.
    /// </summary>
    /// <param name="reader">The input.</param>
    /// <param name="into">Where complete commands and their arguments go.</param>
    /// <param name="maxCommands">Stop before starting a command once the batch has this many.</param>
    /// <param name="maxBytes">Stop before starting a command once the arena holds this many bytes.</param>
    public ParseStatus Parse(ref SequenceReader<byte> reader, RequestBuffer into, int maxCommands, int maxBytes)
    {
        while (true)
        {
            switch (_state)
            {
                case State.CommandStart:
                    if (into.CommandCount >= maxCommands || into.Used >= maxBytes)
                    {
                        return ParseStatus.BatchFull;
                    }

                    if (!reader.TryPeek(out byte first))
                    {
                        return ParseStatus.NeedMore;
                    }

                    if (first != (byte)'*')
                    {
                        ParseStatus? inline = ParseInline(ref reader, into);
                        if (inline is ParseStatus stop)
                        {
                            return stop;
                        }

                        break;
                    }

                    switch (TryReadHeader(ref reader, out long count))
                    {
                        case HeaderResult.Incomplete:
                            return ParseStatus.NeedMore;
                        case HeaderResult.TooLong:
                            return Fail("ERR Protocol error: too big mbulk count string");
                        case HeaderResult.Invalid:
                            return Fail("ERR Protocol error: invalid multibulk length");
                    }

                    if (count > MaxArgs)
                    {
                        return Fail("ERR Protocol error: invalid multibulk length");
                    }

                    if (count <= 0)
                    {
                        break; // "*0" and "*-1" are ignored, as Redis does
                    }

                    into.BeginCommand();
                    _argsLeft = (int)count;
                    _state = State.BulkHeader;
                    break;

                case State.BulkHeader:
                    if (!reader.TryPeek(out byte dollar))
                    {
                        return ParseStatus.NeedMore;
                    }

                    if (dollar != (byte)'$')
                    {
                        return Fail($"ERR Protocol error: expected '$', got '{(char)dollar}'");
                    }

                    switch (TryReadHeader(ref reader, out long length))
                    {
                        case HeaderResult.Incomplete:
                            return ParseStatus.NeedMore;
                        case HeaderResult.TooLong:
                            return Fail("ERR Protocol error: too big bulk count string");
                        case HeaderResult.Invalid:
                            return Fail("ERR Protocol error: invalid bulk length");
                    }

                    if (length < 0 || length > MaxBulkLength)
                    {
                        return Fail("ERR Protocol error: invalid bulk length");
                    }

                    into.BeginArg(length);
                    _bulkLeft = length;
                    _state = State.BulkBody;
                    break;

                case State.BulkBody:
                    if (_bulkLeft > 0)
                    {
                        long available = reader.Remaining;
                        if (available == 0)
                        {
                            return ParseStatus.NeedMore;
                        }

                        long take = Math.Min(available, _bulkLeft);
                        into.Append(reader.UnreadSequence.Slice(0, take));
                        reader.Advance(take);
                        _bulkLeft -= take;
                        if (_bulkLeft > 0)
                        {
                            return ParseStatus.NeedMore;
                        }
                    }

                    _state = State.BulkEnd;
                    break;

                case State.BulkEnd:
                    if (reader.Remaining < 2)
                    {
                        if (reader.TryPeek(out byte cr) && cr != (byte)'\r')
                        {
                            return Fail("ERR Protocol error: expected CRLF after a bulk string");
                        }

                        return ParseStatus.NeedMore;
                    }

                    reader.TryRead(out byte r);
                    reader.TryRead(out byte n);
                    if (r != (byte)'\r' || n != (byte)'\n')
                    {
                        return Fail("ERR Protocol error: expected CRLF after a bulk string");
                    }

                    into.EndArg();
                    if (--_argsLeft > 0)
                    {
                        _state = State.BulkHeader;
                        break;
                    }

                    into.EndCommand();
                    _state = State.CommandStart;
                    break;
            }
        }
    }

    private enum HeaderResult : byte
    {
        Complete,
        Incomplete,
        TooLong,
        Invalid,
    }

    /// <summary>Reads a "*N" or "$N" line: the type byte, an integer, CRLF.</summary>
    private static HeaderResult TryReadHeader(ref SequenceReader<byte> reader, out long value)
    {
        value = 0;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
        {
            return reader.Remaining > MaxInlineLength ? HeaderResult.TooLong : HeaderResult.Incomplete;
        }

        if (line.Length > MaxHeaderLine || line.Length < 3)
        {
            return line.Length > MaxInlineLength ? HeaderResult.TooLong : HeaderResult.Invalid;
        }

        Span<byte> text = stackalloc byte[MaxHeaderLine];
        text = text[..(int)line.Length];
        line.CopyTo(text);
        if (text[^1] != (byte)'\r')
        {
            return HeaderResult.Invalid;
        }

        return RespInteger.TryParse(text[1..^1], out value) ? HeaderResult.Complete : HeaderResult.Invalid;
    }

    /// <summary>Reads an inline command: one line split on whitespace, with Redis's quoting rules. Null when the line
    /// was consumed (a command, or an empty line that is ignored).</summary>
    private ParseStatus? ParseInline(ref SequenceReader<byte> reader, RequestBuffer into)
    {
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
        {
            return reader.Remaining > MaxInlineLength ? Fail("ERR Protocol error: too big inline request") : ParseStatus.NeedMore;
        }

        if (line.Length > MaxInlineLength)
        {
            return Fail("ERR Protocol error: too big inline request");
        }

        byte[] text = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(text);
            int length = (int)line.Length;
            if (length > 0 && text[length - 1] == (byte)'\r')
            {
                length--;
            }

            into.BeginCommand();
            if (!InlineSplitter.Split(text.AsSpan(0, length), into, out int args))
            {
                into.AbandonCommand();
                return Fail("ERR Protocol error: unbalanced quotes in request");
            }

            if (args == 0)
            {
                into.AbandonCommand();
                return null;
            }

            into.EndCommand();
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    private ParseStatus Fail(string message)
    {
        Error = message;
        return ParseStatus.ProtocolError;
    }
}
