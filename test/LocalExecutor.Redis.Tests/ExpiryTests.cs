using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Store;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>Key deadlines: TTL arithmetic on a fake clock, active expiry by the owning shard's timer, lazy expiry on
/// access, DBSIZE and FLUSHALL (these tests own their servers: the counts are global).</summary>
public sealed class ExpiryTests
{
    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Ttl_and_pttl_count_down_exactly_with_the_clock(RedisTransport transport)
    {
        var clock = new FakeTimeProvider();
        await using RedisServer server = await TestServer.StartAsync(transport, clock);
        await using RespClient client = await RespClient.ConnectAsync(server.EndPoint);
        (await client.CallAsync("SET", "k", "v", "PX", "10000")).Should().Be("+OK");
        (await client.CallAsync("PTTL", "k")).Should().Be(":10000");
        (await client.CallAsync("TTL", "k")).Should().Be(":10");
        clock.Advance(TimeSpan.FromMilliseconds(4_400));
        (await client.CallAsync("PTTL", "k")).Should().Be(":5600");
        (await client.CallAsync("TTL", "k")).Should().Be(":6", "TTL rounds to the nearest second, as Redis does");
        clock.Advance(TimeSpan.FromMilliseconds(5_600));
        (await client.CallAsync("PTTL", "k")).Should().Be(":0", "at its deadline a key still exists");
        (await client.CallAsync("GET", "k")).Should().Be("$v");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        (await client.CallAsync("GET", "k")).Should().Be("$(nil)", "a millisecond past its deadline the key is gone");
        (await client.CallAsync("TTL", "k")).Should().Be(":-2");

        (await client.CallAsync("SET", "e", "v")).Should().Be("+OK");
        (await client.CallAsync("EXPIRE", "e", "30")).Should().Be(":1");
        clock.Advance(TimeSpan.FromSeconds(12));
        (await client.CallAsync("TTL", "e")).Should().Be(":18");
        (await client.CallAsync("SET", "e", "w", "EX", "100")).Should().Be("+OK");
        (await client.CallAsync("TTL", "e")).Should().Be(":100", "SET EX replaces the deadline");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Keys_nobody_reads_are_deleted_by_their_shards_timer(RedisTransport transport)
    {
        var clock = new FakeTimeProvider();
        await using RedisServer server = await TestServer.StartAsync(transport, clock);
        await using RespClient client = await RespClient.ConnectAsync(server.EndPoint);
        string[][] sets = Enumerable.Range(0, 200).Select(i => new[] { "SET", $"short{i}", "v", "PX", (50 + (i % 5)).ToString() }).ToArray();
        (await client.PipelineAsync(sets)).Should().AllBe("+OK");
        (await client.PipelineAsync(Enumerable.Range(0, 50).Select(i => new[] { "SET", $"long{i}", "v", "EX", "3600" }).ToArray())).Should().AllBe("+OK");
        (await client.CallAsync("SET", "forever", "v")).Should().Be("+OK");
        (await client.CallAsync("DBSIZE")).Should().Be(":251");
        clock.Advance(TimeSpan.FromMilliseconds(49));
        (await client.CallAsync("DBSIZE")).Should().Be(":251", "nothing is due yet");

        clock.Advance(TimeSpan.FromMilliseconds(10)); // every short deadline passed; the timers fire (on the owning cores)
        await Bounded.Until(async () => await client.CallAsync("DBSIZE") == ":51", "the 200 short-lived keys were expired without being read");
        clock.Advance(TimeSpan.FromMinutes(61));
        await Bounded.Until(async () => await client.CallAsync("DBSIZE") == ":1", "the hour-long keys expired too");
        (await client.CallAsync("GET", "forever")).Should().Be("$v");
    }

    [Fact]
    public void A_read_deletes_an_expired_key_even_when_no_timer_fired()
    {
        var clock = new ClockWithoutTimers();
        using var store = new ShardStore(0, clock, owner: null, guard: null);
        var request = new Protocol.RequestBuffer();
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        ShardOp Op(OpKind kind, params string[] args)
        {
            foreach (string arg in args)
            {
                request.BeginArg(arg.Length);
                request.Append(System.Text.Encoding.ASCII.GetBytes(arg));
                request.EndArg();
            }

            return new ShardOp { Kind = kind, KeyArg = request.ArgCount - args.Length, ValueArg = request.ArgCount - args.Length + 1, Number = kind == OpKind.Set ? 100 : 0, Remote = -1 };
        }

        store.Execute(Op(OpKind.Set, "k", "v"), request, output);
        store.Count.Should().Be(1);
        clock.Now += 101;
        store.Count.Should().Be(1, "no timer fired, so the key is still stored");
        output.Clear();
        store.Execute(Op(OpKind.Get, "k"), request, output);
        System.Text.Encoding.ASCII.GetString(output.WrittenSpan).Should().Be("$-1\r\n");
        store.Count.Should().Be(0, "the read found the key late and deleted it");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task A_short_px_expires_on_the_real_clock(RedisTransport transport)
    {
        await using RedisServer server = await TestServer.StartAsync(transport);
        await using RespClient client = await RespClient.ConnectAsync(server.EndPoint);
        (await client.CallAsync("SET", "k", "v", "PX", "30")).Should().Be("+OK");
        await Bounded.Until(async () => await client.CallAsync("DBSIZE") == ":0", "a key set with PX 30 was expired by its shard's timer");
        (await client.CallAsync("GET", "k")).Should().Be("$(nil)");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Dbsize_counts_every_shard_and_flushall_empties_them(RedisTransport transport)
    {
        await using RedisServer server = await TestServer.StartAsync(transport);
        await using ConnectionMultiplexer redis = await TestServer.ConnectAsync(server);
        IDatabase db = redis.GetDatabase();
        IServer admin = redis.GetServers()[0];
        (await admin.DatabaseSizeAsync()).Should().Be(0);
        await db.StringSetAsync(Enumerable.Range(0, 100).Select(i => new System.Collections.Generic.KeyValuePair<RedisKey, RedisValue>($"key{i}", i)).ToArray());
        (await admin.DatabaseSizeAsync()).Should().Be(100);
        (await db.ExecuteAsync("SET", "ttl", "v", "EX", "100")).ToString().Should().Be("OK");
        (await db.ExecuteAsync("FLUSHALL")).ToString().Should().Be("OK");
        (await admin.DatabaseSizeAsync()).Should().Be(0);
        (await db.StringGetAsync("key7")).IsNull.Should().BeTrue();
        (await db.ExecuteAsync("FLUSHALL", "ASYNC")).ToString().Should().Be("OK");
        await FluentActions.Awaiting(() => db.ExecuteAsync("FLUSHALL", "LATER")).Should().ThrowAsync<RedisServerException>().WithMessage("ERR syntax error");
        (await db.StringSetAsync("after", "flush")).Should().BeTrue();
        (await admin.DatabaseSizeAsync()).Should().Be(1);
    }

    /// <summary>A clock that moves only when told and whose timers never fire.</summary>
    private sealed class ClockWithoutTimers : TimeProvider
    {
        public long Now { get; set; } = 1_000;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverTimer();

        private sealed class NeverTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
