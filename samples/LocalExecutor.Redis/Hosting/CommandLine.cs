using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace ThreadPerCore.Redis.Hosting;

/// <summary>The server's command line (issue 8): <c>--port</c>, <c>--cores</c>, <c>--transport</c>, <c>--threadpool</c>.</summary>
internal static class CommandLine
{
    public const string Usage =
        "usage: LocalExecutor.Redis [--port 6380] [--cores N] [--transport auto|reactor|sockets] [--threadpool]\n" +
        "                           [--bind 127.0.0.1] [--shutdown-timeout 5] [--verbose]\n" +
        "  --port N              TCP port (default 6380; 0 picks a free one)\n" +
        "  --cores N             executors and shards (default: every CPU the process may use)\n" +
        "  --transport auto      the reactor where the executors have one, else .NET sockets (default)\n" +
        "  --transport reactor   each executor's own reactor; refuses to start where there is none\n" +
        "  --transport sockets   .NET sockets on the executors, SO_REUSEPORT accept loop per executor\n" +
        "  --threadpool          the same server on the plain thread pool, a lock per shard\n" +
        "  --bind ADDRESS        address to listen on (default 127.0.0.1)\n" +
        "  --shutdown-timeout S  seconds a graceful stop waits for connections (default 5)\n" +
        "  --verbose             log protocol errors and failed connections to stderr";

    /// <summary>Parses <paramref name="args"/>; on failure <paramref name="error"/> says why (null for --help).</summary>
    public static bool TryParse(string[] args, [NotNullWhen(true)] out RedisServerOptions? options, out string? error)
    {
        options = new RedisServerOptions();
        error = null;
        string? transport = null;
        bool threadPool = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (arg)
            {
                case "--help" or "-h":
                    options = null;
                    return false;
                case "--threadpool":
                    threadPool = true;
                    continue;
                case "--verbose":
                    options.Log = message => Console.Error.WriteLine(message);
                    continue;
            }

            if (arg is not ("--port" or "--cores" or "--transport" or "--bind" or "--shutdown-timeout"))
            {
                return Fail($"Unknown option {arg}.", out options, out error);
            }

            if (value is null)
            {
                return Fail($"{arg} needs a value.", out options, out error);
            }

            i++;
            switch (arg)
            {
                case "--port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= IPEndPoint.MaxPort:
                    options.Port = port;
                    break;
                case "--cores" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int cores) && cores >= 1:
                    options.Cores = cores;
                    break;
                case "--transport" when value is "auto" or "reactor" or "sockets":
                    transport = value;
                    break;
                case "--bind" when IPAddress.TryParse(value, out IPAddress? address):
                    options.BindAddress = address;
                    break;
                case "--shutdown-timeout" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0:
                    options.ShutdownTimeout = TimeSpan.FromSeconds(seconds);
                    break;
                default:
                    return Fail($"{arg} {value}: not a valid value.", out options, out error);
            }
        }

        if (threadPool && transport == "reactor")
        {
            return Fail("--threadpool runs on .NET sockets on the thread pool; it does not combine with --transport reactor.", out options, out error);
        }

        options.Transport = threadPool ? RedisTransport.ThreadPool : transport switch
        {
            "reactor" => RedisTransport.Reactor,
            "sockets" => RedisTransport.Sockets,
            _ => RedisTransport.Auto,
        };
        return true;
    }

    private static bool Fail(string message, out RedisServerOptions? options, out string? error)
    {
        options = null;
        error = message;
        return false;
    }
}
