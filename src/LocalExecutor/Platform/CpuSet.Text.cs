using System;
using System.Globalization;
using System.Text;

namespace ThreadPerCore.Platform;

// Parsing and formatting CpuSet in the Linux CPU list syntax.
public readonly partial struct CpuSet
{
    /// <summary>
    /// Parses a CPU list in the Linux syntax, for example <c>0-3,8,10-11</c>, as found in
    /// <c>/sys/devices/system/cpu/online</c> or the <c>Cpus_allowed_list</c> line of <c>/proc/self/status</c>.
    /// </summary>
    /// <param name="list">The list. Whitespace and newlines around items are ignored; an empty or blank list is the empty set.</param>
    /// <returns>The set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="list"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="list"/> is not a valid CPU list.</exception>
    public static CpuSet Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (!TryParse(list, out CpuSet set, out string? error))
        {
            throw new FormatException($"'{list.Trim()}' is not a CPU list such as \"0-3,8,10-11\": {error}");
        }

        return set;
    }

    /// <summary>Tries to parse a CPU list in the Linux syntax, for example <c>0-3,8,10-11</c>.</summary>
    /// <param name="list">The list; may be null.</param>
    /// <param name="set">The parsed set, or <see cref="Empty"/> on failure.</param>
    /// <returns><see langword="true"/> when <paramref name="list"/> is a valid CPU list.</returns>
    public static bool TryParse(string? list, out CpuSet set) => TryParse(list, out set, out _);

    /// <summary>Formats the set in the Linux CPU list syntax, for example <c>0-3,8</c>; the empty set is an empty string.</summary>
    /// <returns>The list.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        int start = -1;
        int previous = -2;
        foreach (int cpu in this)
        {
            if (cpu != previous + 1)
            {
                AppendRange(text, start, previous);
                start = cpu;
            }

            previous = cpu;
        }

        AppendRange(text, start, previous);
        return text.ToString();
    }

    private static void AppendRange(StringBuilder text, int first, int last)
    {
        if (first < 0)
        {
            return;
        }

        if (text.Length > 0)
        {
            text.Append(',');
        }

        text.Append(first.ToString(CultureInfo.InvariantCulture));
        if (last > first)
        {
            text.Append('-').Append(last.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static bool TryParse(string? list, out CpuSet set, out string? error)
    {
        set = Empty;
        if (list is null)
        {
            error = "the list is null";
            return false;
        }

        Span<ulong> mask = stackalloc ulong[MaskWords];
        ReadOnlySpan<char> rest = list.AsSpan().Trim();
        while (!rest.IsEmpty)
        {
            int comma = rest.IndexOf(',');
            ReadOnlySpan<char> item = (comma < 0 ? rest : rest[..comma]).Trim();
            rest = comma < 0 ? default : rest[(comma + 1)..];
            if (comma >= 0 && rest.Trim().IsEmpty)
            {
                error = "the list ends with a comma";
                return false;
            }

            if (!TryParseItem(item, out int first, out int last, out error))
            {
                return false;
            }

            SetRange(mask, first, last);
        }

        error = null;
        set = FromMask(mask);
        return true;
    }

    private static bool TryParseItem(ReadOnlySpan<char> item, out int first, out int last, out string? error)
    {
        first = last = 0;
        if (item.IsEmpty)
        {
            error = "an item between commas is empty";
            return false;
        }

        int dash = item.IndexOf('-');
        ReadOnlySpan<char> low = dash < 0 ? item : item[..dash].TrimEnd();
        ReadOnlySpan<char> high = dash < 0 ? item : item[(dash + 1)..].TrimStart();
        if (!TryParseCpu(low, out first, out error) || !TryParseCpu(high, out last, out error))
        {
            return false;
        }

        if (last < first)
        {
            error = $"the range '{item}' runs backwards";
            return false;
        }

        return true;
    }

    private static bool TryParseCpu(ReadOnlySpan<char> text, out int cpu, out string? error)
    {
        cpu = 0;
        if (text.IsEmpty || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out cpu))
        {
            error = text.IsEmpty ? "a CPU number is missing" : $"'{text}' is not a CPU number";
            return false;
        }

        if (cpu > MaxCpu)
        {
            error = $"CPU {cpu} is above {MaxCpu}";
            return false;
        }

        error = null;
        return true;
    }
}
