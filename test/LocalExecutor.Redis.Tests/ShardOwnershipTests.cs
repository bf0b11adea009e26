using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>
/// Shared-nothing, observed: a request for a key of another core's shard is served by that core (one hop there and
/// one back per pipelined batch), and a key of the connection's own shard makes no hop. The shard refuses a caller off
/// its core, so a request that skipped the hop would fail, not pass silently.
/// </summary>
public sealed class ShardOwnershipTests
{
    public static TheoryData<RedisTransport> ExecutorTransports => OperatingSystem.IsLinux()
        ? new TheoryData<RedisTransport> { RedisTransport.Reactor, RedisTransport.Sockets }
        : new TheoryData<RedisTransport> { RedisTransport.Sockets };

    [Theory]
    [MemberData(nameof(ExecutorTransports))]
    public async Task A_key_of_the_other_shard_is_served_by_its_core_and_a_local_key_makes_no_hop(RedisTransport transport)
    {
        const int Requests = 40;
        await using RedisServer server = await TestServer.StartAsync(transport);
        await using RespClient client = await RespClient.ConnectAsync(server.EndPoint);
        int home = await CoreOf(client);
        int other = 1 - home;
        string remote = Shards.KeyOn(server.Shards, other, "owned-elsewhere");
        string local = Shards.KeyOn(server.Shards, home, "owned-here");

        Counters before = Counters.Of(server, home, other);
        for (int i = 0; i < Requests / 2; i++)
        {
            (await client.CallAsync("SET", remote, $"v{i}")).Should().Be("+OK");
            (await client.CallAsync("GET", remote)).Should().Be($"$v{i}", "the owner's store answers with the latest write");
        }

        Counters afterRemote = Counters.Of(server, home, other);
        (afterRemote.SentFromHome - before.SentFromHome).Should().Be(Requests, $"each of the {Requests} unpipelined requests for shard {other}'s key left core {home} once");
        (afterRemote.ServedByOther - before.ServedByOther).Should().Be(Requests, $"core {other}, the owner, ran each of them");
        (afterRemote.SentFromOther - before.SentFromOther).Should().Be(0, "nothing came the other way");
        (afterRemote.ServedByHome - before.ServedByHome).Should().Be(0);
        (afterRemote.OtherCrossThread - before.OtherCrossThread).Should().BeGreaterThanOrEqualTo(Requests, "each hop is work handed to the owner's executor by another thread");

        for (int i = 0; i < Requests / 2; i++)
        {
            (await client.CallAsync("SET", local, $"v{i}")).Should().Be("+OK");
            (await client.CallAsync("GET", local)).Should().Be($"$v{i}");
        }

        Counters afterLocal = Counters.Of(server, home, other);
        (afterLocal.SentFromHome - afterRemote.SentFromHome).Should().Be(0, $"a key of core {home}'s own shard is served where it arrived");
        (afterLocal.ServedByOther - afterRemote.ServedByOther).Should().Be(0);
        (afterLocal.OtherCrossThread - afterRemote.OtherCrossThread).Should().Be(0, $"core {other} was handed no work for them");

        // A pipelined batch goes to the other core once, however many of its commands are for that core's keys.
        string[][] batch = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? new[] { "SET", remote, $"p{i}" } : new[] { "GET", remote }).ToArray();
        string[] replies = await client.PipelineAsync(batch);
        replies.Where((_, i) => i % 2 == 1).Should().Equal(Enumerable.Range(0, 8).Select(i => $"$p{2 * i}"), "each GET of the batch sees the SET before it");
        Counters afterBatch = Counters.Of(server, home, other);
        (afterBatch.SentFromHome - afterLocal.SentFromHome).Should().Be(1, "16 pipelined commands for one remote shard travel as one batch");
        (afterBatch.ServedByOther - afterLocal.ServedByOther).Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(ExecutorTransports))]
    public async Task Info_reports_the_executors_counters_and_the_shard_hops(RedisTransport transport)
    {
        await using RedisServer server = await TestServer.StartAsync(transport);
        await using RespClient client = await RespClient.ConnectAsync(server.EndPoint);
        int home = await CoreOf(client);
        string remote = Shards.KeyOn(server.Shards, 1 - home, "info-hop");
        (await client.CallAsync("SET", remote, "x")).Should().Be("+OK");

        Dictionary<string, string> info = Fields(await client.CallAsync("INFO", "executors"));
        info["executor_count"].Should().Be("2");
        long.Parse(info["shard_hops"], CultureInfo.InvariantCulture).Should().Be(1, "one SET for the other core's key");
        long.Parse(info["executor_cross_thread_work_items"], CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(2, "the hop there and the hop back");
        info[$"core{home}"].Should().Contain("shard_hops_sent=1,shard_hops_served=0");
        info[$"core{1 - home}"].Should().Contain("shard_hops_sent=0,shard_hops_served=1");
        if (transport == RedisTransport.Reactor)
        {
            long.Parse(info["executor_io_events"], CultureInfo.InvariantCulture).Should().BePositive("the reactor saw the connection's readiness");
        }

        (await client.CallAsync("INFO")).Should().Contain("# Executors\r\n", "the section is part of the default INFO");
    }

    /// <summary>The core serving <paramref name="client"/>'s connection, from CLIENT INFO's <c>core=</c>.</summary>
    private static async Task<int> CoreOf(RespClient client)
    {
        string reply = await client.CallAsync("CLIENT", "INFO");
        string field = reply.TrimStart('$').Split(' ').Single(f => f.StartsWith("core=", StringComparison.Ordinal));
        return int.Parse(field["core=".Length..], CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> Fields(string info) =>
        info.TrimStart('$').Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1]);

    private readonly record struct Counters(long SentFromHome, long SentFromOther, long ServedByHome, long ServedByOther, long OtherCrossThread)
    {
        public static Counters Of(RedisServer server, int home, int other) => new(
            server.Context.Stats.ShardHopsSentFrom(home),
            server.Context.Stats.ShardHopsSentFrom(other),
            server.Context.Stats.ShardHopsServedBy(home),
            server.Context.Stats.ShardHopsServedBy(other),
            server.Context.Executors[other].GetStats().CrossThreadWorkItems);
    }
}
