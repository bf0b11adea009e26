using System;
using System.Buffers.Text;

namespace ThreadPerCore.Redis.Protocol;

/// <summary>Integers as RESP and Redis write them: decimal, an optional minus, no plus, no leading zeros.</summary>
internal static class RespInteger
{
    /// <summary>The longest decimal text of a 64-bit integer ("-9223372036854775808").</summary>
    public const int MaxLength = 20;

    /// <summary>Parses <paramref name="text"/> as strictly as Redis's <c>string2ll</c>: "0", or an optional '-' then a
    /// digit 1-9 then digits, within the range of <see cref="long"/>. No spaces, no '+', no leading zeros, no "-0".</summary>
    /// <param name="text">The bytes.</param>
    /// <param name="value">The value, or 0.</param>
    /// <returns>False when the text is not such an integer.</returns>
    public static bool TryParse(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > MaxLength)
        {
            return false;
        }

        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        bool negative = text[0] == (byte)'-';
        int i = negative ? 1 : 0;
        if (i == text.Length || text[i] < (byte)'1' || text[i] > (byte)'9')
        {
            return false;
        }

        ulong magnitude = 0;
        for (; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - (byte)'0');
            if (digit > 9 || magnitude > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            magnitude = (magnitude * 10) + digit;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = unchecked((long)(0UL - magnitude));
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    /// <summary>Writes <paramref name="value"/> in decimal into <paramref name="destination"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="destination">At least <see cref="MaxLength"/> bytes.</param>
    /// <returns>How many bytes were written.</returns>
    public static int Format(long value, Span<byte> destination)
    {
        bool formatted = Utf8Formatter.TryFormat(value, destination, out int written);
        System.Diagnostics.Debug.Assert(formatted, "the destination holds MaxLength bytes");
        return written;
    }
}
