using System;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>Every command, driven by StackExchange.Redis, on the .NET-sockets executors and on the thread-pool twin.</summary>
[Collection("Servers")]
public sealed class CommandTests(ServersFixture servers)
{
    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Ping_answers_pong_and_echo_echoes(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        (await db.ExecuteAsync("PING")).ToString().Should().Be("PONG");
        (await db.ExecuteAsync("PING", "hello")).ToString().Should().Be("hello");
        (await db.ExecuteAsync("ECHO", "a b\r\nc")).ToString().Should().Be("a b\r\nc");
        (await db.PingAsync()).Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Set_then_get_returns_the_value_and_a_missing_key_is_null(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("get");
        (await db.StringGetAsync(key)).IsNull.Should().BeTrue();
        (await db.StringSetAsync(key, "v1")).Should().BeTrue();
        (await db.StringGetAsync(key)).ToString().Should().Be("v1");
        (await db.StringSetAsync(key, "a much longer second value")).Should().BeTrue();
        (await db.StringGetAsync(key)).ToString().Should().Be("a much longer second value");
        (await db.StringSetAsync(key, "")).Should().BeTrue();
        (await db.StringGetAsync(key)).ToString().Should().Be("");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Set_nx_and_xx_set_only_when_the_key_is_absent_or_present(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("nx");
        (await db.StringSetAsync(key, "x", when: When.Exists)).Should().BeFalse("XX on a missing key does nothing");
        (await db.KeyExistsAsync(key)).Should().BeFalse();
        (await db.StringSetAsync(key, "first", when: When.NotExists)).Should().BeTrue();
        (await db.StringSetAsync(key, "second", when: When.NotExists)).Should().BeFalse("NX on an existing key does nothing");
        (await db.StringGetAsync(key)).ToString().Should().Be("first");
        (await db.StringSetAsync(key, "third", when: When.Exists)).Should().BeTrue();
        (await db.StringGetAsync(key)).ToString().Should().Be("third");
        (await db.ExecuteAsync("SET", key, "y", "NX")).IsNull.Should().BeTrue("the raw reply of a refused SET is a null bulk");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Set_ex_and_px_give_the_key_a_time_to_live_and_a_plain_set_clears_it(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("ex");
        await db.ExecuteAsync("SET", key, "v", "EX", "100");
        (await db.ExecuteAsync("TTL", key)).ToString().Should().BeOneOf("100", "99");
        await db.ExecuteAsync("SET", key, "v", "PX", "50000");
        long pttl = (long)await db.ExecuteAsync("PTTL", key);
        pttl.Should().BeInRange(40_000, 50_000);
        (await db.KeyTimeToLiveAsync(key)).Should().BeCloseTo(TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(10));
        await db.StringSetAsync(key, "plain");
        (await db.ExecuteAsync("TTL", key)).ToString().Should().Be("-1", "SET without EX/PX removes the time to live");
        (await db.ExecuteAsync("TTL", ServersFixture.Key("none"))).ToString().Should().Be("-2");
        await db.ExecuteAsync("SET", key, "v", "PX", "50000", "XX");
        ((long)await db.ExecuteAsync("PTTL", key)).Should().BePositive();
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Set_rejects_bad_options_with_Redis_errors(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("opts");
        (await ErrorOf(db, "SET", key, "v", "EX", "0")).Should().Be("ERR invalid expire time in 'set' command");
        (await ErrorOf(db, "SET", key, "v", "PX", "-5")).Should().Be("ERR invalid expire time in 'set' command");
        (await ErrorOf(db, "SET", key, "v", "EX", "ten")).Should().Be("ERR value is not an integer or out of range");
        (await ErrorOf(db, "SET", key, "v", "NX", "XX")).Should().Be("ERR syntax error");
        (await ErrorOf(db, "SET", key, "v", "EX", "10", "PX", "10")).Should().Be("ERR syntax error");
        (await ErrorOf(db, "SET", key, "v", "EX")).Should().Be("ERR syntax error");
        (await ErrorOf(db, "SET", key, "v", "KEEPALL")).Should().Be("ERR syntax error");
        (await ErrorOf(db, "SET", key)).Should().Be("ERR wrong number of arguments for 'set' command");
        (await db.KeyExistsAsync(key)).Should().BeFalse("no rejected SET stored anything");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Del_and_exists_count_keys_across_shards(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        RedisKey[] keys = Enumerable.Range(0, 20).Select(i => (RedisKey)ServersFixture.Key($"del{i}")).ToArray();
        foreach (RedisKey key in keys.Take(15))
        {
            await db.StringSetAsync(key, "x");
        }

        (await db.KeyExistsAsync(keys)).Should().Be(15);
        (await db.ExecuteAsync("EXISTS", keys[0], keys[0], keys[19])).ToString().Should().Be("2", "EXISTS counts a key named twice twice");
        (await db.KeyDeleteAsync(keys)).Should().Be(15);
        (await db.KeyDeleteAsync(keys)).Should().Be(0);
        (await db.KeyExistsAsync(keys[0])).Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Incr_decr_and_incrby_count_from_zero_and_keep_the_value_a_string(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("incr");
        (await db.StringIncrementAsync(key)).Should().Be(1);
        (await db.StringIncrementAsync(key, 41)).Should().Be(42);
        (await db.StringDecrementAsync(key)).Should().Be(41);
        (await db.StringDecrementAsync(key, 50)).Should().Be(-9);
        (await db.ExecuteAsync("INCR", key)).ToString().Should().Be("-8");
        (await db.ExecuteAsync("DECR", key)).ToString().Should().Be("-9");
        (await db.StringGetAsync(key)).ToString().Should().Be("-9");
        await db.StringSetAsync(key, "9223372036854775806");
        (await db.StringIncrementAsync(key)).Should().Be(long.MaxValue);
        (await ErrorOf(db, "INCR", key)).Should().Be("ERR increment or decrement would overflow");
        (await db.StringGetAsync(key)).ToString().Should().Be("9223372036854775807", "a refused increment leaves the value");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Incr_refuses_values_and_increments_that_are_not_integers(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("notint");
        foreach (string value in new[] { "abc", "1.5", " 1", "01", "-0", "+1", "", "99999999999999999999" })
        {
            await db.StringSetAsync(key, value);
            (await ErrorOf(db, "INCR", key)).Should().Be("ERR value is not an integer or out of range", $"'{value}' is no integer");
        }

        (await ErrorOf(db, "INCRBY", key, "x")).Should().Be("ERR value is not an integer or out of range");
        (await ErrorOf(db, "DECRBY", key, "-9223372036854775808")).Should().Be("ERR decrement would overflow");
        (await ErrorOf(db, "INCR", key, "extra")).Should().Be("ERR wrong number of arguments for 'incr' command");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Mset_and_mget_span_shards_and_keep_key_order(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        var pairs = Enumerable.Range(0, 32).Select(i => new { Key = (RedisKey)ServersFixture.Key($"m{i}"), Value = (RedisValue)$"value-{i}" }).ToArray();
        (await db.StringSetAsync(pairs.Select(p => new System.Collections.Generic.KeyValuePair<RedisKey, RedisValue>(p.Key, p.Value)).ToArray())).Should().BeTrue();
        RedisKey missing = ServersFixture.Key("missing");
        RedisKey[] asked = pairs.Select(p => p.Key).Reverse().Append(missing).Prepend(pairs[3].Key).ToArray();
        RedisValue[] values = await db.StringGetAsync(asked);
        values.Should().HaveCount(asked.Length);
        values[0].ToString().Should().Be("value-3");
        values.Skip(1).Take(32).Select(v => v.ToString()).Should().Equal(pairs.Select(p => p.Value.ToString()).Reverse());
        values[^1].IsNull.Should().BeTrue();
        (await ErrorOf(db, "MSET", pairs[0].Key, "v", pairs[1].Key)).Should().Be("ERR wrong number of arguments for 'mset' command");
        (await ErrorOf(db, "MGET")).Should().Be("ERR wrong number of arguments for 'mget' command");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Expire_and_ttl_set_and_report_the_time_to_live(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("expire");
        (await db.KeyExpireAsync(key, TimeSpan.FromSeconds(10))).Should().BeFalse("a missing key has nothing to expire");
        await db.StringSetAsync(key, "v");
        (await db.ExecuteAsync("TTL", key)).ToString().Should().Be("-1");
        (await db.ExecuteAsync("EXPIRE", key, "100")).ToString().Should().Be("1");
        (await db.ExecuteAsync("TTL", key)).ToString().Should().BeOneOf("100", "99");
        (await db.ExecuteAsync("PEXPIRE", key, "200000")).ToString().Should().Be("1");
        ((long)await db.ExecuteAsync("PTTL", key)).Should().BeInRange(190_000, 200_000);
        (await db.KeyExpireAsync(key, TimeSpan.FromMilliseconds(90_500))).Should().BeTrue();
        ((long)await db.ExecuteAsync("PTTL", key)).Should().BeInRange(80_000, 90_500);
        (await db.StringIncrementAsync(ServersFixture.Key("x"))).Should().Be(1);
        (await ErrorOf(db, "EXPIRE", key, "soon")).Should().Be("ERR value is not an integer or out of range");
        (await ErrorOf(db, "EXPIRE", key, "9223372036854775807")).Should().Be("ERR invalid expire time in 'expire' command");
        (await db.ExecuteAsync("EXPIRE", key, "0")).ToString().Should().Be("1", "a deadline in the past deletes the key");
        (await db.KeyExistsAsync(key)).Should().BeFalse();
        (await db.ExecuteAsync("TTL", key)).ToString().Should().Be("-2");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Incr_keeps_the_time_to_live(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string key = ServersFixture.Key("incrttl");
        await db.ExecuteAsync("SET", key, "5", "EX", "100");
        (await db.StringIncrementAsync(key)).Should().Be(6);
        ((long)await db.ExecuteAsync("TTL", key)).Should().BeInRange(90, 100);
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Unknown_commands_and_wrong_arity_get_errors_and_the_connection_stays(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        (await ErrorOf(db, "FROBNICATE", "a", "b")).Should().Be("ERR unknown command 'FROBNICATE', with args beginning with: 'a' 'b' ");
        (await ErrorOf(db, "GET")).Should().Be("ERR wrong number of arguments for 'get' command");
        (await ErrorOf(db, "PING", "a", "b")).Should().Be("ERR wrong number of arguments for 'ping' command");
        (await ErrorOf(db, "SELECT", "1")).Should().Be("ERR DB index is out of range");
        (await db.ExecuteAsync("SELECT", "0")).ToString().Should().Be("OK");
        (await db.ExecuteAsync("PING")).ToString().Should().Be("PONG", "the connection survives its errors");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Info_reports_the_server_section_and_the_counters(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string info = (await db.ExecuteAsync("INFO", "server")).ToString();
        info.Should().StartWith("# Server\r\n").And.Contain("redis_version:7.0.0\r\n").And.Contain($"tcp_port:{servers.Server(transport).EndPoint.Port}\r\n")
            .And.Contain($"executor_transport:{transport switch { RedisTransport.Reactor => "reactor", RedisTransport.Sockets => "sockets", _ => "threadpool" }}\r\n").And.Contain("executor_cores:2\r\n");
        info.Should().NotContain("# Stats");
        string stats = (await db.ExecuteAsync("INFO", "stats")).ToString();
        long Field(string text, string name) => long.Parse(text.Split("\r\n").Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..]);
        long before = Field(stats, "total_commands_processed");
        Field(stats, "total_allocated_bytes").Should().BePositive();
        for (int i = 0; i < 10; i++)
        {
            await db.PingAsync();
        }

        long after = Field((await db.ExecuteAsync("INFO", "stats")).ToString(), "total_commands_processed");
        after.Should().BeGreaterThanOrEqualTo(before + 11, "ten PINGs and an INFO were served in between");
        (await servers.Client(transport).GetServers()[0].InfoAsync()).SelectMany(g => g).Should().Contain(p => p.Key == "role" && p.Value == "master");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Config_get_and_command_answer_what_clients_ask_at_start(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        string[] Strings(RedisResult result) => ((RedisResult[])result!).Select(r => r.ToString()).ToArray();
        Strings(await db.ExecuteAsync("CONFIG", "GET", "save")).Should().Equal("save", "");
        Strings(await db.ExecuteAsync("CONFIG", "GET", "appendonly")).Should().Equal("appendonly", "no");
        Strings(await db.ExecuteAsync("CONFIG", "GET", "nosuchparameter")).Should().BeEmpty();
        Strings(await db.ExecuteAsync("CONFIG", "GET", "*read-only")).Should().Equal("replica-read-only", "yes", "slave-read-only", "yes");
        (await db.ExecuteAsync("COMMAND", "COUNT")).ToString().Should().Be("27");
        var all = (RedisResult[])(await db.ExecuteAsync("COMMAND"))!;
        all.Should().HaveCount(27);
        RedisResult[] get = all.Select(c => (RedisResult[])c!).Single(c => c[0].ToString() == "get");
        ((long)get[1]).Should().Be(2);
        ((long)get[3]).Should().Be(1);
        var info = (RedisResult[])(await db.ExecuteAsync("COMMAND", "INFO", "set", "nosuch"))!;
        ((RedisResult[])info[0]!)[0].ToString().Should().Be("set");
        info[1].IsNull.Should().BeTrue();
        ((RedisResult[])(await db.ExecuteAsync("COMMAND", "DOCS"))!).Should().BeEmpty();
        (await db.ExecuteAsync("CLIENT", "SETNAME", "tester")).ToString().Should().Be("OK");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Binary_keys_and_values_round_trip_byte_for_byte(RedisTransport transport)
    {
        IDatabase db = servers.Db(transport);
        byte[] key = [0, 1, 2, 13, 10, 255, (byte)'*', (byte)'$', 0];
        byte[] value = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 13, 10, 13, 10 }).ToArray();
        await db.StringSetAsync(key, value);
        ((byte[]?)await db.StringGetAsync(key)).Should().Equal(value);
        byte[] otherKey = [0, 1, 2, 13, 10, 255, (byte)'*', (byte)'$', 1];
        (await db.KeyExistsAsync(otherKey)).Should().BeFalse("keys differing in the last byte are different keys");
        (await db.KeyDeleteAsync(key)).Should().BeTrue();
    }

    internal static async Task<string> ErrorOf(IDatabase db, string command, params object[] args)
    {
        try
        {
            RedisResult result = await db.ExecuteAsync(command, args);
            throw new Xunit.Sdk.XunitException($"{command} succeeded with '{result}' where an error was expected.");
        }
        catch (RedisServerException error)
        {
            return error.Message;
        }
    }
}
