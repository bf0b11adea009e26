using System;
using System.Globalization;
using System.Net;

namespace ThreadPerCore.Web;

/// <summary>The sample's command line: <c>[--transport local|sockets] [--inline] [--port N] [--bind ADDRESS] [--cores N]</c>.</summary>
public sealed record WebOptions
{
    private const string Usage = "--transport local|sockets, --inline, --port N, --bind ADDRESS, --cores N";

    /// <summary>True for Kestrel's Sockets transport, false (the default) for the LocalExecutor transport.</summary>
    public bool Sockets { get; init; }

    /// <summary>Sockets transport only: <c>UnsafePreferInlineScheduling</c> (the app runs on the socket's I/O thread).</summary>
    public bool InlineScheduling { get; init; }

    /// <summary>TCP port; 0 picks a free one. Default 5080.</summary>
    public int Port { get; init; } = 5080;

    /// <summary>Address to listen on. Default 127.0.0.1.</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>Executors (one pinned per CPU); null for every CPU the process may use.</summary>
    public int? Cores { get; init; }

    /// <summary>Parses <paramref name="args"/>. Every mistake (an unknown option, a missing or bad value, <c>--inline</c>
    /// without <c>--transport sockets</c>) is an <see cref="ArgumentException"/> whose message names the option and what
    /// it takes, for the sample to print before it exits with code 2.</summary>
    public static WebOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new WebOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{option} needs a value ({Usage}).");
            options = option switch
            {
                "--transport" => Value() switch
                {
                    "local" => options with { Sockets = false },
                    "sockets" => options with { Sockets = true },
                    string other => throw new ArgumentException($"--transport is 'local' or 'sockets', not '{other}'."),
                },
                "--inline" => options with { InlineScheduling = true },
                "--port" => options with { Port = Number(option, Value(), 0, IPEndPoint.MaxPort) },
                "--bind" => options with { Bind = Address(Value()) },
                "--cores" => options with { Cores = Number(option, Value(), 1, int.MaxValue) },
                _ => throw new ArgumentException($"Unknown option '{option}' ({Usage})."),
            };
        }

        if (options.InlineScheduling && !options.Sockets)
        {
            throw new ArgumentException("--inline applies to --transport sockets only (the LocalExecutor transport always runs the app on the core).");
        }

        return options;
    }

    /// <summary>What the sample prints at start.</summary>
    public string TransportName => Sockets ? (InlineScheduling ? "sockets+inline" : "sockets") : "local";

    private static int Number(string option, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{option} takes a whole number from {min} to {max}, not '{text}'.");

    private static string Address(string text) =>
        IPAddress.TryParse(text, out _) ? text : throw new ArgumentException($"--bind takes an IP address (127.0.0.1, 0.0.0.0, ::1), not '{text}'.");
}
