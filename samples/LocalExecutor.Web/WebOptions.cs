using System;
using System.Globalization;

namespace ThreadPerCore.Web;

/// <summary>The sample's command line: <c>[--transport local|sockets] [--inline] [--port N] [--bind ADDRESS] [--cores N]</c>.</summary>
public sealed record WebOptions
{
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

    /// <summary>Parses <paramref name="args"/>; unknown options are an <see cref="ArgumentException"/> naming them.</summary>
    public static WebOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new WebOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.", nameof(args));
            options = args[i] switch
            {
                "--transport" => Value() switch
                {
                    "local" => options with { Sockets = false },
                    "sockets" => options with { Sockets = true },
                    string other => throw new ArgumentException($"--transport is 'local' or 'sockets', not '{other}'.", nameof(args)),
                },
                "--inline" => options with { InlineScheduling = true },
                "--port" => options with { Port = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--bind" => options with { Bind = Value() },
                "--cores" => options with { Cores = int.Parse(Value(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}' (--transport local|sockets, --inline, --port N, --bind ADDRESS, --cores N).", nameof(args)),
            };
        }

        if (options.InlineScheduling && !options.Sockets)
        {
            throw new ArgumentException("--inline applies to --transport sockets only (the LocalExecutor transport always runs the app on the core).", nameof(args));
        }

        return options;
    }

    /// <summary>What the sample prints at start.</summary>
    public string TransportName => Sockets ? (InlineScheduling ? "sockets+inline" : "sockets") : "local";
}
