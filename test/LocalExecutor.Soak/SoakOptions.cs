using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ThreadPerCore.Soak;

/// <summary>The command line: how long, which seed, which scenarios.</summary>
internal sealed class SoakOptions
{
    public TimeSpan Duration { get; private set; } = TimeSpan.FromMinutes(3);

    public int Seed { get; private set; } = Environment.TickCount;

    public IReadOnlyList<string> Scenarios { get; private set; } = [];

    /// <summary>How long one task may stay unfinished before it counts as hung.</summary>
    public TimeSpan HangBound { get; private set; } = TimeSpan.FromSeconds(30);

    public bool Hog { get; private set; } = true;

    public static string Usage(IEnumerable<string> scenarios) =>
        "usage: LocalExecutor.Soak [--duration 3m|90s|500ms] [--seed N] [--scenarios a,b,...] [--hang-bound 30s] [--no-hog]\n"
        + "scenarios (default all): " + string.Join(", ", scenarios);

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public static SoakOptions Parse(string[] args, IReadOnlyCollection<string> known)
    {
        var options = new SoakOptions { Scenarios = known.ToArray() };
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--duration":
                    options.Duration = ParseTime(Value(), name);
                    break;
                case "--seed":
                    options.Seed = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--scenarios":
                    string[] chosen = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    string[] unknown = chosen.Except(known).ToArray();
                    if (unknown.Length > 0)
                    {
                        throw new ArgumentException($"Unknown scenario(s) {string.Join(", ", unknown)}; known: {string.Join(", ", known)}.");
                    }

                    options.Scenarios = chosen;
                    break;
                case "--hang-bound":
                    options.HangBound = ParseTime(Value(), name);
                    break;
                case "--no-hog":
                    options.Hog = false;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{name}'.");
            }
        }

        return options;
    }

    private static TimeSpan ParseTime(string text, string name)
    {
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0)
        {
            throw new ArgumentException($"{name} takes a positive time such as 90s, 3m or 500ms, not '{text}'.");
        }

        return TimeSpan.FromSeconds(value * scale);
    }
}
