using System;
using System.Globalization;

namespace ThreadPerCore;

// The text form of a placement, for configuration files: the form ToString writes.
public sealed partial class PoolPlacement
{
    private const string Forms = "OnePerCpu, Spread(n), Pack(n), Unbound(n) or Cpus(a,b,...)";

    /// <summary>
    /// Reads a placement from its text form: <c>OnePerCpu</c>, <c>Spread(n)</c>, <c>Pack(n)</c>, <c>Unbound(n)</c> or
    /// <c>Cpus(a,b,...)</c>, the form <see cref="ToString"/> writes. Case and spaces do not matter.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The placement.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is none of the forms; the message shows them.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1 or a CPU number negative (as for the factory methods).</exception>
    /// <exception cref="ArgumentException">A CPU list is empty or names a CPU twice (as for <see cref="Cpus"/>).</exception>
    public static PoolPlacement Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        if (span.Equals(nameof(OnePerCpu), StringComparison.OrdinalIgnoreCase))
        {
            return OnePerCpu();
        }

        int open = span.IndexOf('(');
        if (open <= 0 || span[^1] != ')')
        {
            throw InvalidForm(text);
        }

        ReadOnlySpan<char> kind = span[..open].Trim();
        ReadOnlySpan<char> arguments = span[(open + 1)..^1];
        if (kind.Equals(nameof(Cpus), StringComparison.OrdinalIgnoreCase))
        {
            string[] parts = arguments.ToString().Split(',', StringSplitOptions.TrimEntries);
            var cpus = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                cpus[i] = ParseNumber(parts[i], text);
            }

            return Cpus(cpus);
        }

        int count = ParseNumber(arguments.Trim().ToString(), text);
        if (kind.Equals(nameof(Spread), StringComparison.OrdinalIgnoreCase))
        {
            return Spread(count);
        }

        if (kind.Equals(nameof(Pack), StringComparison.OrdinalIgnoreCase))
        {
            return Pack(count);
        }

        if (kind.Equals(nameof(Unbound), StringComparison.OrdinalIgnoreCase))
        {
            return Unbound(count);
        }

        throw InvalidForm(text);
    }

    private static int ParseNumber(string part, string text) =>
        int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"'{part}' in the placement '{text}' is not a whole number. A placement is {Forms}.");

    private static FormatException InvalidForm(string text) =>
        new($"'{text}' is not a pool placement. A placement is {Forms}, for example \"Spread(4)\".");
}
