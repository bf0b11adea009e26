using System;

namespace ThreadPerCore.Redis.Protocol;

/// <summary>
/// Splits an inline command line into arguments the way Redis's <c>sdssplitargs</c> does: whitespace separates
/// arguments; "double quotes" take the escapes \n \r \t \b \a \\ \" and \xHH; 'single quotes' take \'; a closing quote
/// must be followed by whitespace or the end of the line.
/// </summary>
internal static class InlineSplitter
{
    /// <summary>Appends the arguments of <paramref name="line"/> to <paramref name="into"/>'s current command.</summary>
    /// <returns>False when a quote is not closed properly.</returns>
    public static bool Split(ReadOnlySpan<byte> line, RequestBuffer into, out int count)
    {
        count = 0;
        int i = 0;
        while (true)
        {
            while (i < line.Length && IsSpace(line[i]))
            {
                i++;
            }

            if (i == line.Length)
            {
                return true;
            }

            into.BeginArg(0);
            if (!ReadArg(line, ref i, into))
            {
                return false;
            }

            into.EndArg();
            count++;
        }
    }

    private static bool ReadArg(ReadOnlySpan<byte> line, ref int i, RequestBuffer into)
    {
        bool inDouble = false;
        bool inSingle = false;
        while (true)
        {
            if (inDouble)
            {
                if (i == line.Length)
                {
                    return false;
                }

                byte c = line[i];
                if (c == (byte)'\\' && i + 3 < line.Length && line[i + 1] == (byte)'x' && IsHex(line[i + 2]) && IsHex(line[i + 3]))
                {
                    into.Append((byte)((HexValue(line[i + 2]) << 4) | HexValue(line[i + 3])));
                    i += 4;
                }
                else if (c == (byte)'\\' && i + 1 < line.Length)
                {
                    into.Append(line[i + 1] switch
                    {
                        (byte)'n' => (byte)'\n',
                        (byte)'r' => (byte)'\r',
                        (byte)'t' => (byte)'\t',
                        (byte)'b' => (byte)'\b',
                        (byte)'a' => (byte)'\a',
                        byte other => other,
                    });
                    i += 2;
                }
                else if (c == (byte)'"')
                {
                    i++;
                    return i == line.Length || IsSpace(line[i]);
                }
                else
                {
                    into.Append(c);
                    i++;
                }
            }
            else if (inSingle)
            {
                if (i == line.Length)
                {
                    return false;
                }

                byte c = line[i];
                if (c == (byte)'\\' && i + 1 < line.Length && line[i + 1] == (byte)'\'')
                {
                    into.Append((byte)'\'');
                    i += 2;
                }
                else if (c == (byte)'\'')
                {
                    i++;
                    return i == line.Length || IsSpace(line[i]);
                }
                else
                {
                    into.Append(c);
                    i++;
                }
            }
            else
            {
                if (i == line.Length || IsSpace(line[i]))
                {
                    return true;
                }

                byte c = line[i++];
                if (c == (byte)'"')
                {
                    inDouble = true;
                }
                else if (c == (byte)'\'')
                {
                    inSingle = true;
                }
                else
                {
                    into.Append(c);
                }
            }
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f' or 0;

    private static bool IsHex(byte c) => c is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int HexValue(byte c) => c <= (byte)'9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
