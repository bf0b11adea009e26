using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Sharding;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>Exact bytes in, exact bytes out: framing, inline commands, pipelining, and what bad input gets.</summary>
[Collection("Servers")]
public sealed class ProtocolTests(ServersFixture servers)
{
    /// <summary>Multibulk commands touching both shards, an inline command, an error, and a pipeline of them.</summary>
    private const string Mixed =
        "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$5\r\nvalue\r\n" +
        "*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$0\r\n\r\n" +
        "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n" +
        "PING\r\n" +
        "*3\r\n$4\r\nMGET\r\n$2\r\nk2\r\n$2\r\nk1\r\n" +
        "*2\r\n$4\r\nINCR\r\n$2\r\nk3\r\n" +
        "*1\r\n$4\r\nNOPE\r\n" +
        "*3\r\n$3\r\nDEL\r\n$2\r\nk1\r\n$2\r\nk2\r\n";

    private const string MixedReplies =
        "+OK\r\n+OK\r\n$5\r\nvalue\r\n+PONG\r\n*2\r\n$0\r\n\r\n$5\r\nvalue\r\n:1\r\n" +
        "-ERR unknown command 'NOPE', with args beginning with: \r\n:2\r\n";

    public static TheoryData<string> ShardKinds => new() { "locked", "executors" };

    [Theory]
    [MemberData(nameof(ShardKinds))]
    public async Task A_request_split_at_any_byte_boundary_gets_the_same_replies(string kind)
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        for (int split = 0; split <= Mixed.Length; split++)
        {
            using var shards = (IDisposable)(kind == "locked" ? Shards.Locked() : Shards.OnExecutors(pool));
            PipeConnection connection = PipeConnection.Start((IShardAccess)shards);
            await connection.SendAsync(Mixed[..split]); // the server consumes this part before the next is written
            await connection.SendAsync(Mixed[split..]);
            await connection.CloseAsync();
            (await connection.ReadToEndAsync()).Should().Be(MixedReplies, $"the request was split after byte {split}");
            await connection.Serving.Within("the connection to end");
        }
    }

    [Theory]
    [MemberData(nameof(ShardKinds))]
    public async Task A_request_fed_one_byte_at_a_time_gets_the_same_replies(string kind)
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        using var shards = (IDisposable)(kind == "locked" ? Shards.Locked() : Shards.OnExecutors(pool));
        PipeConnection connection = PipeConnection.Start((IShardAccess)shards);
        foreach (char c in Mixed)
        {
            await connection.SendAsync(c.ToString());
        }

        await connection.CloseAsync();
        (await connection.ReadToEndAsync()).Should().Be(MixedReplies);
    }

    [Fact]
    public async Task A_large_value_streams_through_a_pipe_with_back_pressure()
    {
        using LockedShards shards = Shards.Locked();
        var options = new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
        var requests = new System.IO.Pipelines.Pipe(options);
        var replies = new System.IO.Pipelines.Pipe(options);
        Task serving = RespConnection.ServeAsync(new Transports.DuplexPipe(requests.Reader, replies.Writer), shards, default);
        byte[] value = Enumerable.Range(0, 3 * 1024 * 1024).Select(i => (byte)(i * 7)).ToArray();
        string header = $"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${value.Length}\r\n";
        await requests.Writer.WriteAsync(Encoding.ASCII.GetBytes(header));
        await requests.Writer.WriteAsync(value).AsTask().Within("the server to consume a value bigger than the pipe's pause threshold");
        await requests.Writer.WriteAsync("\r\n*2\r\n$6\r\nSTRLEN\r\n$3\r\nbig\r\n*1\r\n$4\r\nQUIT\r\n"u8.ToArray());
        System.IO.Pipelines.ReadResult result;
        while (!(result = await replies.Reader.ReadAsync().AsTask().Within("the replies")).IsCompleted)
        {
            replies.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        Encoding.ASCII.GetString(result.Buffer.ToArray()).Should().Be("+OK\r\n-ERR unknown command 'STRLEN', with args beginning with: 'big' \r\n+OK\r\n");
        await serving.Within("the connection to end after QUIT");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Pipelined_commands_over_a_socket_are_answered_in_order(RedisTransport transport)
    {
        RedisServer server = servers.Server(transport);
        string a = Shards.KeyOn(server.Shards, 0, ServersFixture.Key("a"));
        string b = Shards.KeyOn(server.Shards, 1, ServersFixture.Key("b"));
        var request = new StringBuilder();
        var expected = new StringBuilder();
        var model = new Dictionary<string, long>();
        for (int i = 0; i < 300; i++)
        {
            string key = i % 3 == 0 ? a : b;
            switch (i % 4)
            {
                case 0:
                    request.Append(Command("INCR", key));
                    model[key] = model.GetValueOrDefault(key) + 1;
                    expected.Append(':').Append(model[key]).Append("\r\n");
                    break;
                case 1:
                    request.Append(Command("GET", key));
                    expected.Append(model.TryGetValue(key, out long v) ? $"${v.ToString().Length}\r\n{v}\r\n" : "$-1\r\n");
                    break;
                case 2:
                    request.Append(Command("MGET", a, b));
                    expected.Append("*2\r\n").Append(Bulk(model, a)).Append(Bulk(model, b));
                    break;
                default:
                    request.Append("PING\r\n");
                    expected.Append("+PONG\r\n");
                    break;
            }
        }

        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(request.ToString());
        (await client.ReadAsync(expected.ToString())).Should().Be(expected.ToString());
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Inline_commands_work_as_typed_into_telnet(RedisTransport transport)
    {
        string key = ServersFixture.Key("inline");
        await using RawClient client = await RawClient.ConnectAsync(servers.Server(transport).EndPoint);
        await client.SendAsync($"PING\r\nping hello\n\r\n   \r\nSET {key} \"a b\\r\\n\\x41\"\r\nGET {key}\r\nset {key} 'it''s'\r\n");
        const string Expected = "+PONG\r\n$5\r\nhello\r\n+OK\r\n$6\r\na b\r\nA\r\n";
        (await client.ReadAsync(Expected)).Should().Be(Expected, "blank lines are ignored and quotes and escapes are Redis's");
        (await client.ReadToCloseAsync()).Should().Be("-ERR Protocol error: unbalanced quotes in request\r\n", "'it''s' closes a quote without a space after it");
    }

    [Fact]
    public async Task Empty_and_null_multibulk_headers_are_ignored()
    {
        await using RawClient client = await RawClient.ConnectAsync(servers.Server(RedisTransport.Sockets).EndPoint);
        await client.SendAsync("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
        (await client.ReadAsync("+PONG\r\n")).Should().Be("+PONG\r\n");
    }

    public static TheoryData<RedisTransport, string, string> BadInputs
    {
        get
        {
            var data = new TheoryData<RedisTransport, string, string>();
            (string Input, string Reply)[] cases =
            [
                ("*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
                ("*1048577\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
                ("*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
                ("*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
                ("*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
                ("*1\r\nPING\r\n", "-ERR Protocol error: expected '$', got 'P'\r\n"),
                ("*1\r\n$4\r\nPINGxx", "-ERR Protocol error: expected CRLF after a bulk string\r\n"),
                ("PING\r\n*2x\r\n", "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"),
                ("*" + new string('1', 70_000), "-ERR Protocol error: too big mbulk count string\r\n"),
                (new string('a', 70_000), "-ERR Protocol error: too big inline request\r\n"),
            ];
            foreach (RedisTransport transport in TestServer.All)
            {
                foreach ((string input, string reply) in cases)
                {
                    data.Add(transport, input, reply);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_answered_with_an_error_then_the_connection_closes(RedisTransport transport, string input, string reply)
    {
        RedisServer server = servers.Server(transport);
        await using (RawClient client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.SendAsync(input);
            (await client.ReadToCloseAsync()).Should().Be(reply);
        }

        await using RawClient next = await RawClient.ConnectAsync(server.EndPoint);
        await next.SendAsync("PING\r\n");
        (await next.ReadAsync("+PONG\r\n")).Should().Be("+PONG\r\n", "the server keeps serving other connections");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Quit_answers_ok_and_closes_and_nothing_after_it_runs(RedisTransport transport)
    {
        RedisServer server = servers.Server(transport);
        string key = ServersFixture.Key("afterquit");
        await using (RawClient client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.SendAsync($"PING\r\nQUIT\r\nSET {key} v\r\n");
            (await client.ReadToCloseAsync()).Should().Be("+PONG\r\n+OK\r\n");
        }

        await using RawClient next = await RawClient.ConnectAsync(server.EndPoint);
        await next.SendAsync($"EXISTS {key}\r\n");
        (await next.ReadAsync(":0\r\n")).Should().Be(":0\r\n");
    }

    private static string Command(params string[] args) => Encoding.UTF8.GetString(RespClient.Encode(args));

    private static string Bulk(Dictionary<string, long> model, string key) =>
        model.TryGetValue(key, out long v) ? $"${v.ToString().Length}\r\n{v}\r\n" : "$-1\r\n";
}
