using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ThreadPerCore.Redis.Hosting;

/// <summary>
/// The INFO reply: Redis's server, clients, stats and replication sections (the fields clients read at connect:
/// <c>redis_version</c>, <c>role</c>), plus this server's own: transport, cores, the process's allocation counter
/// beside the command counter, and an <c>executors</c> section (the executors' <see cref="ExecutorStats"/> summed, and
/// the shards' cross-core hops), so a benchmark computes bytes allocated and cross-thread hops per request from two
/// INFO calls.
/// </summary>
internal static class InfoReport
{
    /// <summary>The Redis version this server answers like (RESP2, the 7.0 replies of the commands it has).</summary>
    public const string RedisVersion = "7.0.0";

    private static readonly string[] s_default = ["server", "clients", "stats", "executors", "replication", "keyspace"];

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
                case "executors":
                    AppendExecutors(text, server);
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

    /// <summary>
    /// <c># Executors</c>: the sums over the executors (none on the thread pool) of the counters that say which thread
    /// did the I/O: <c>executor_cross_thread_work_items</c> (work handed over by another thread: each is a hop),
    /// <c>executor_io_events</c> and <c>executor_io_polls</c> (the reactor's), <c>executor_foreign_wakeups</c>, and
    /// <c>shard_hops</c> (batches sent to another core's shard: two cross-thread items each, there and back); then one
    /// line per core.
    /// </summary>
    private static void AppendExecutors(StringBuilder text, ServerContext server)
    {
        IReadOnlyList<LocalExecutor> executors = server.Executors;
        var stats = new ExecutorStats[executors.Count];
        long crossThread = 0, ioEvents = 0, ioPolls = 0, foreignWakeups = 0, tasksRun = 0;
        for (int i = 0; i < stats.Length; i++)
        {
            stats[i] = executors[i].GetStats();
            crossThread += stats[i].CrossThreadWorkItems;
            ioEvents += stats[i].IoEvents;
            ioPolls += stats[i].IoPolls;
            foreignWakeups += stats[i].ForeignWakeups;
            tasksRun += stats[i].TasksRun;
        }

        text.Append("# Executors\r\n");
        Line(text, "executor_count", stats.Length);
        Line(text, "executor_cross_thread_work_items", crossThread);
        Line(text, "executor_io_events", ioEvents);
        Line(text, "executor_io_polls", ioPolls);
        Line(text, "executor_foreign_wakeups", foreignWakeups);
        Line(text, "executor_tasks_run", tasksRun);
        Line(text, "shard_hops", server.Stats.ShardHops);
        for (int i = 0; i < stats.Length; i++)
        {
            Line(text, string.Create(CultureInfo.InvariantCulture, $"core{i}"), string.Create(
                CultureInfo.InvariantCulture,
                $"cross_thread_work_items={stats[i].CrossThreadWorkItems},io_events={stats[i].IoEvents},reactor={(executors[i].HasReactor ? 1 : 0)},shard_hops_sent={server.Stats.ShardHopsSentFrom(i)},shard_hops_served={server.Stats.ShardHopsServedBy(i)}"));
        }
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
