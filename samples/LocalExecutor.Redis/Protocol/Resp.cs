using System;
using System.Buffers;
using System.Text;

namespace ThreadPerCore.Redis.Protocol;

/// <summary>
/// Writes RESP2 replies straight into an <see cref="IBufferWriter{T}"/> (the connection's <c>PipeWriter</c>, or a
/// cross-core batch's reply buffer). The common replies are constants: writing them copies a few bytes and allocates
/// nothing.
/// </summary>
internal static class Resp
{
    /// <summary>Values up to this size are written with their header and trailer in one span.</summary>
    private const int SmallValue = 1024;

    /// <summary>The longest bulk or array header: a type byte, <see cref="RespInteger.MaxLength"/> digits, CRLF.</summary>
    private const int MaxHeader = 1 + RespInteger.MaxLength + 2;

    public static ReadOnlySpan<byte> Ok => "+OK\r\n"u8;

    public static ReadOnlySpan<byte> Pong => "+PONG\r\n"u8;

    public static ReadOnlySpan<byte> NullBulk => "$-1\r\n"u8;

    public static ReadOnlySpan<byte> Zero => ":0\r\n"u8;

    public static ReadOnlySpan<byte> One => ":1\r\n"u8;

    public static ReadOnlySpan<byte> EmptyArray => "*0\r\n"u8;

    public static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    /// <summary>Copies <paramref name="bytes"/> as they are, in as many spans as the writer hands out (a 16 MB value
    /// is not asked for in one piece).</summary>
    public static void Raw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            Span<byte> span = output.GetSpan(Math.Min(bytes.Length, 4096));
            int n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            output.Advance(n);
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes a bulk string: <c>$len CRLF bytes CRLF</c>.</summary>
    public static void Bulk(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        if (value.Length <= SmallValue)
        {
            Span<byte> span = output.GetSpan(MaxHeader + value.Length + 2);
            int n = Header(span, (byte)'$', value.Length);
            value.CopyTo(span[n..]);
            n += value.Length;
            span[n++] = (byte)'\r';
            span[n++] = (byte)'\n';
            output.Advance(n);
            return;
        }

        Span<byte> header = output.GetSpan(MaxHeader);
        output.Advance(Header(header, (byte)'$', value.Length));
        Raw(output, value);
        Raw(output, Crlf);
    }

    /// <summary>Writes a bulk string of ASCII or UTF-8 text (used by the cold replies: INFO, CONFIG, COMMAND).</summary>
    public static void Bulk(IBufferWriter<byte> output, string text) => Bulk(output, Encoding.UTF8.GetBytes(text));

    /// <summary>Writes an integer reply: <c>:n CRLF</c>.</summary>
    public static void Integer(IBufferWriter<byte> output, long value)
    {
        if (value is 0 or 1)
        {
            Raw(output, value == 0 ? Zero : One);
            return;
        }

        Span<byte> span = output.GetSpan(MaxHeader);
        output.Advance(Header(span, (byte)':', value));
    }

    /// <summary>Writes an array header: <c>*n CRLF</c>; the caller writes the n elements.</summary>
    public static void ArrayHeader(IBufferWriter<byte> output, int count)
    {
        Span<byte> span = output.GetSpan(MaxHeader);
        output.Advance(Header(span, (byte)'*', count));
    }

    /// <summary>Writes a simple string: <c>+text CRLF</c>.</summary>
    public static void Simple(IBufferWriter<byte> output, ReadOnlySpan<byte> text)
    {
        Raw(output, "+"u8);
        Raw(output, text);
        Raw(output, Crlf);
    }

    /// <summary>Writes an error reply. <paramref name="message"/> starts with its code ("ERR ...", "NOPROTO ..."); CR
    /// and LF in it become spaces, as Redis does, so an error never breaks the framing.</summary>
    public static void Error(IBufferWriter<byte> output, string message)
    {
        Raw(output, "-"u8);
        byte[] bytes = Encoding.Latin1.GetBytes(message); // one byte per char: quoted request bytes come back exactly
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is (byte)'\r' or (byte)'\n')
            {
                bytes[i] = (byte)' ';
            }
        }

        Raw(output, bytes);
        Raw(output, Crlf);
    }

    private static int Header(Span<byte> span, byte type, long value)
    {
        span[0] = type;
        int n = 1 + RespInteger.Format(value, span[1..]);
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        return n;
    }
}
