using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>Many connections at once, pipelined, from the repository's raw client and from StackExchange.Redis: no write
/// is lost and each connection reads its own latest write.</summary>
[Collection("Servers")]
public sealed class LoadTests(ServersFixture servers)
{
    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Concurrent_connections_lose_no_write_and_read_their_latest_write(RedisTransport transport)
    {
        const int Connections = 24;
        const int Rounds = 40;
        const int SharedCounters = 8;
        RedisServer server = servers.Server(transport);
        string prefix = ServersFixture.Key("load");
        string[] counters = Enumerable.Range(0, SharedCounters).Select(i => $"{prefix}:counter:{i}").ToArray();
        var clients = new RespClient[Connections];
        for (int c = 0; c < Connections; c++)
        {
            clients[c] = await RespClient.ConnectAsync(server.EndPoint);
        }

        var workers = Enumerable.Range(0, Connections).Select(c => Task.Run(async () =>
        {
            RespClient client = clients[c];
            string own = $"{prefix}:own:{c}";
            for (int round = 0; round < Rounds; round++)
            {
                // One pipelined batch: write my key, bump two shared counters, read my key back (same batch: it must
                // see this batch's write, whichever core owns it), and read a counter.
                string value = $"c{c}-r{round}-{new string('x', round % 7)}";
                string[] replies = await client.PipelineAsync(
                [
                    ["SET", own, value],
                    ["INCR", counters[(c + round) % SharedCounters]],
                    ["INCRBY", counters[(c * 3 + round) % SharedCounters], "2"],
                    ["GET", own],
                    ["MGET", own, counters[0]],
                ]);
                replies[0].Should().Be("+OK");
                replies[1].Should().StartWith(":");
                replies[3].Should().Be("$" + value, $"connection {c} round {round} reads its own latest write");
                replies[4].Should().StartWith($"*[${value},");
            }
        })).ToArray();

        await Task.WhenAll(workers).Within($"{Connections} connections x {Rounds} pipelined rounds");
        string[] totals = await clients[0].PipelineAsync(counters.Select(k => new[] { "GET", k }).ToArray());
        long sum = totals.Sum(t => long.Parse(t[1..]));
        sum.Should().Be(Connections * Rounds * 3L, "every INCR (1) and INCRBY (2) of every connection counted");
        var expected = new long[SharedCounters];
        for (int c = 0; c < Connections; c++)
        {
            for (int round = 0; round < Rounds; round++)
            {
                expected[(c + round) % SharedCounters] += 1;
                expected[(c * 3 + round) % SharedCounters] += 2;
            }
        }

        totals.Select(t => long.Parse(t[1..])).Should().Equal(expected, "each counter got exactly its increments");
        foreach (RespClient client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Multiplexers_writing_their_own_keys_on_both_shards_lose_no_write_and_read_their_latest_write(RedisTransport transport)
    {
        const int Multiplexers = 8;
        const int Rounds = 40;
        const int KeysPerShard = 2;
        RedisServer server = servers.Server(transport);
        string prefix = ServersFixture.Key("se-load");
        // A shared counter on each shard: every multiplexer's INCRs land on both cores, whichever core serves it.
        string[] counters = [Shards.KeyOn(server.Shards, 0, $"{prefix}:counter:"), Shards.KeyOn(server.Shards, 1, $"{prefix}:counter:")];
        ConnectionMultiplexer[] clients = await Task.WhenAll(Enumerable.Range(0, Multiplexers).Select(_ => TestServer.ConnectAsync(server)));
        try
        {
            // Each multiplexer's own keys, half on each shard, so its commands are served locally and across cores.
            string[][] own = Enumerable.Range(0, Multiplexers).Select(m => Enumerable.Range(0, 2 * KeysPerShard)
                .Select(k => Shards.KeyOn(server.Shards, k % 2, $"{prefix}:own:{m}:{k}:")).ToArray()).ToArray();
            static string Value(int m, int round, int k) => $"m{m}-r{round}-k{k}-{new string('v', (round + k) % 9)}";

            var workers = Enumerable.Range(0, Multiplexers).Select(m => Task.Run(async () =>
            {
                IDatabase db = clients[m].GetDatabase();
                for (int round = 0; round < Rounds; round++)
                {
                    // One multiplexer pipelines in order on its connection: read the previous write, write, read it back.
                    var before = new Task<RedisValue>[own[m].Length];
                    var sets = new Task<bool>[own[m].Length];
                    var after = new Task<RedisValue>[own[m].Length];
                    for (int k = 0; k < own[m].Length; k++)
                    {
                        before[k] = db.StringGetAsync(own[m][k]);
                        sets[k] = db.StringSetAsync(own[m][k], Value(m, round, k));
                        after[k] = db.StringGetAsync(own[m][k]);
                    }

                    Task<long>[] increments = counters.Select(c => db.StringIncrementAsync(c)).ToArray();
                    await Task.WhenAll(Task.WhenAll(before), Task.WhenAll(sets), Task.WhenAll(after), Task.WhenAll(increments));
                    for (int k = 0; k < own[m].Length; k++)
                    {
                        ((string?)before[k].Result).Should().Be(round == 0 ? null : Value(m, round - 1, k), $"multiplexer {m} round {round} key {k} (shard {k % 2}) reads its previous write");
                        sets[k].Result.Should().BeTrue();
                        ((string?)after[k].Result).Should().Be(Value(m, round, k), $"multiplexer {m} round {round} key {k} (shard {k % 2}) reads its latest write");
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers).Within($"{Multiplexers} multiplexers x {Rounds} rounds");

            IDatabase check = clients[0].GetDatabase();
            foreach (string counter in counters)
            {
                ((long)await check.StringGetAsync(counter)).Should().Be(Multiplexers * Rounds, $"every INCR of every multiplexer on {counter} counted");
            }

            for (int m = 0; m < Multiplexers; m++)
            {
                for (int k = 0; k < own[m].Length; k++)
                {
                    ((string?)await check.StringGetAsync(own[m][k])).Should().Be(Value(m, Rounds - 1, k), "the last write of each key stays, seen from another connection");
                }
            }
        }
        finally
        {
            foreach (ConnectionMultiplexer client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Several_multiplexers_pipelining_thousands_of_commands_see_them_in_order(RedisTransport transport)
    {
        RedisServer server = servers.Server(transport);
        var clients = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestServer.ConnectAsync(server)));
        try
        {
            var work = clients.Select(async (client, index) =>
            {
                IDatabase db = client.GetDatabase();
                string key = ServersFixture.Key($"order{index}");
                IBatch batch = db.CreateBatch();
                Task<long>[] increments = Enumerable.Range(0, 2000).Select(_ => batch.StringIncrementAsync(key)).ToArray();
                batch.Execute();
                long[] seen = await Task.WhenAll(increments).Within("2,000 pipelined INCRs");
                seen.Should().Equal(Enumerable.Range(1, 2000).Select(i => (long)i), "a pipeline is answered in request order");
            });
            await Task.WhenAll(work);
        }
        finally
        {
            foreach (ConnectionMultiplexer client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Values_of_16_MB_round_trip_on_either_shard(RedisTransport transport)
    {
        RedisServer server = servers.Server(transport);
        IDatabase db = servers.Db(transport);
        var random = new Random(8);
        foreach (int shard in new[] { 0, 1 })
        {
            string key = Shards.KeyOn(server.Shards, shard, ServersFixture.Key("big"));
            byte[] value = new byte[16 * 1024 * 1024 + 3];
            random.NextBytes(value);
            (await db.StringSetAsync(key, value).Within("a 16 MB SET")).Should().BeTrue();
            byte[]? back = await db.StringGetAsync(key).Within("a 16 MB GET");
            back.Should().NotBeNull();
            back!.Length.Should().Be(value.Length);
            back.AsSpan().SequenceEqual(value).Should().BeTrue($"the 16 MB value on shard {shard} comes back byte for byte");
            (await db.KeyDeleteAsync(key)).Should().BeTrue();
        }
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task A_client_cut_off_mid_command_leaves_the_server_serving(RedisTransport transport)
    {
        RedisServer server = servers.Server(transport);
        string key = ServersFixture.Key("cut");
        string[] halves =
        [
            $"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$10\r\nhal",
            "*3\r\n$3\r\nSE",
            "*3",
            $"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${16 * 1024 * 1024}\r\n" + new string('v', 1024 * 1024),
        ];
        IDatabase db = servers.Db(transport);
        int baseline = server.OpenConnections;
        foreach (string half in halves)
        {
            foreach (bool reset in new[] { true, false })
            {
                RawClient client = await RawClient.ConnectAsync(server.EndPoint);
                await client.SendAsync("PING\r\n");
                (await client.ReadAsync("+PONG\r\n")).Should().Be("+PONG\r\n");
                await client.SendAsync(half);
                if (reset)
                {
                    client.Abort();
                }
                else
                {
                    await client.DisposeAsync();
                }

                (await db.PingAsync().Within("a PING after a client was cut off")).Should().BePositive();
            }
        }

        (await db.KeyExistsAsync(key)).Should().BeFalse("a command cut off before its end never ran");
        await Bounded.Until(() => Task.FromResult(server.OpenConnections <= baseline), "every cut-off connection ended on the server");
    }
}
