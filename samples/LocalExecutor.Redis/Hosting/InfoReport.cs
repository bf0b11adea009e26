using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ThreadPerCore.Redis.Hosting;

/// <summary>
/// The INFO reply: Redis's server, clients, stats and replication sections (the fields clients read at connect:
/// <c>redis_version</c>, <c>role</c>), plus this server's own: transport, cores, and the process's allocation
/// counter beside the command counter, so a benchmark can compute bytes allocated per request from two INFO calls.
/// </summary>
internal static class InfoReport
{
    /// <summary>The Redis version this server answers like (RESP2, the 7.0 replies of the commands it has).</summary>
    public const string RedisVersion = "7.0.0";

    private static readonly string[] s_default = ["server", "clients", "stats", "replication", "keyspace"];

    public static string Build(ServerContext server, IReadOnlyList<string> requested)
    {
        bool all = requested.Count == 0 || Contains(requested, "all") || Contains(requested, "everything") || Contains(requested, "default");
        var text = new StringBuilder();
        foreach (string section in s_default)
        {
            if (!all && !Contains(requested, section))
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append("\r\n");
            }

            switch (section)
            {
                case "server":
                    text.Append("# Server\r\n");
                    Line(text, "redis_version", RedisVersion);
                    Line(text, "redis_mode", "standalone");
                    Line(text, "server_name", "localexecutor-redis");
                    Line(text, "executor_transport", server.Transport);
                    Line(text, "executor_cores", server.Cores);
                    Line(text, "os", RuntimeInformation.OSDescription);
                    Line(text, "arch_bits", IntPtr.Size * 8);
                    Line(text, "runtime", RuntimeInformation.FrameworkDescription);
                    Line(text, "process_id", Environment.ProcessId);
                    Line(text, "tcp_port", server.Port);
                    Line(text, "uptime_in_seconds", (long)Stopwatch.GetElapsedTime(server.StartedAt).TotalSeconds);
                    break;
                case "clients":
                    text.Append("# Clients\r\n");
                    Line(text, "connected_clients", server.Stats.ConnectedClients);
                    break;
                case "stats":
                    text.Append("# Stats\r\n");
                    Line(text, "total_connections_received", server.Stats.ConnectionsReceived);
                    Line(text, "total_commands_processed", server.Stats.CommandsProcessed);
                    Line(text, "total_allocated_bytes", GC.GetTotalAllocatedBytes(precise: true));
                    Line(text, "gc_collections", $"{GC.CollectionCount(0)},{GC.CollectionCount(1)},{GC.CollectionCount(2)}");
                    break;
                case "replication":
                    text.Append("# Replication\r\n");
                    Line(text, "role", "master");
                    Line(text, "connected_slaves", 0);
                    break;
                case "keyspace":
                    text.Append("# Keyspace\r\n");
                    break;
            }
        }

        return text.ToString();
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (string item in list)
        {
            if (item == value)
            {
                return true;
            }
        }

        return false;
    }

    private static void Line(StringBuilder text, string name, string value) => text.Append(name).Append(':').Append(value).Append("\r\n");

    private static void Line(StringBuilder text, string name, long value) => Line(text, name, value.ToString(CultureInfo.InvariantCulture));
}
