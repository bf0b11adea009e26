using System;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Tasks;
using FluentAssertions;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>The command line of issue 8, and what a start without the reactor does: the default falls back to .NET
/// sockets, an explicit <c>--transport reactor</c> refuses with the reason.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void No_arguments_mean_port_6380_every_cpu_and_the_reactor_where_there_is_one()
    {
        CommandLine.TryParse([], out RedisServerOptions? options, out string? error).Should().BeTrue(error);
        options!.Port.Should().Be(6380);
        options.Cores.Should().BeNull();
        options.Transport.Should().Be(RedisTransport.Auto, "the default follows the executors: the reactor where they have one");
        new RedisServerOptions().Transport.Should().Be(RedisTransport.Auto, "in code too");
        options.BindAddress.Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public void Port_cores_transport_and_threadpool_are_read()
    {
        CommandLine.TryParse(["--port", "7000", "--cores", "3", "--transport", "sockets", "--bind", "0.0.0.0", "--shutdown-timeout", "1.5"], out RedisServerOptions? options, out _).Should().BeTrue();
        options!.Port.Should().Be(7000);
        options.Cores.Should().Be(3);
        options.Transport.Should().Be(RedisTransport.Sockets);
        options.BindAddress.Should().Be(IPAddress.Any);
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(1.5));
        CommandLine.TryParse(["--threadpool"], out options, out _).Should().BeTrue();
        options!.Transport.Should().Be(RedisTransport.ThreadPool);
        CommandLine.TryParse(["--transport", "reactor"], out options, out _).Should().BeTrue();
        options!.Transport.Should().Be(RedisTransport.Reactor);
        CommandLine.TryParse(["--transport", "auto"], out options, out _).Should().BeTrue();
        options!.Transport.Should().Be(RedisTransport.Auto);
    }

    [Theory]
    [InlineData("--port x", "--port x: not a valid value.")]
    [InlineData("--port 70000", "--port 70000: not a valid value.")]
    [InlineData("--cores 0", "--cores 0: not a valid value.")]
    [InlineData("--transport uring", "--transport uring: not a valid value.")]
    [InlineData("--port", "--port needs a value.")]
    [InlineData("--fast", "Unknown option --fast.")]
    [InlineData("--threadpool --transport reactor", "--threadpool runs on .NET sockets on the thread pool; it does not combine with --transport reactor.")]
    public void Bad_arguments_are_refused_with_a_reason(string args, string reason)
    {
        CommandLine.TryParse(args.Split(' '), out RedisServerOptions? options, out string? error).Should().BeFalse();
        options.Should().BeNull();
        error.Should().Be(reason);
    }

    [Fact]
    public async Task The_default_transport_is_the_reactor_where_there_is_one()
    {
        await using RedisServer server = await RedisServer.StartAsync(new RedisServerOptions { Port = 0, BindAddress = System.Net.IPAddress.Loopback, Cores = 1, Placement = PoolPlacement.Unbound(1) });
        server.Transport.Should().Be(RedisTransport.Reactor);
        server.Context.Transport.Should().Be("reactor");
    }

    [Fact]
    public async Task The_default_transport_serves_on_dotnet_sockets_where_the_executors_have_no_reactor()
    {
        var log = new ConcurrentQueue<string>();
        await using RedisServer server = await RedisServer.StartAsync(WithoutReactor(transport: null, log)); // the default transport
        server.Transport.Should().Be(RedisTransport.Sockets, "the executors have no reactor, so the default falls back");
        server.Context.Transport.Should().Be("sockets");
        log.Should().Contain(line => line.Contains("has no reactor (disabled by LocalExecutorOptions.EnableReactor): serving on .NET sockets", StringComparison.Ordinal));

        await using ConnectionMultiplexer client = await TestServer.ConnectAsync(server);
        IDatabase db = client.GetDatabase();
        foreach (int shard in new[] { 0, 1 })
        {
            string key = Shards.KeyOn(server.Shards, shard, "fallback");
            (await db.StringSetAsync(key, $"on shard {shard}").Within("a SET without a reactor")).Should().BeTrue();
            ((string?)await db.StringGetAsync(key).Within("a GET without a reactor")).Should().Be($"on shard {shard}");
        }

        string info = (string)(await db.ExecuteAsync("INFO", "executors").Within("INFO executors"))!;
        info.Should().Contain("core0:cross_thread_work_items=").And.Contain(",reactor=0,").And.NotContain(",reactor=1,");
    }

    [Fact]
    public async Task An_explicit_reactor_on_executors_without_one_refuses_to_start_and_says_why()
    {
        Func<Task> start = () => RedisServer.StartAsync(WithoutReactor(RedisTransport.Reactor, log: null));
        await start.Should().ThrowAsync<PlatformNotSupportedException>()
            .WithMessage("--transport reactor: executor 'redis-0' has no reactor (disabled by LocalExecutorOptions.EnableReactor). Leave --transport out to serve on .NET sockets where there is no reactor, or ask for --transport sockets.");
    }

    private static RedisServerOptions WithoutReactor(RedisTransport? transport, ConcurrentQueue<string>? log)
    {
        var options = new RedisServerOptions
        {
            Port = 0,
            BindAddress = IPAddress.Loopback,
            Cores = 2,
            Placement = PoolPlacement.Unbound(2),
            EnableReactor = false,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
            Log = log is null ? null : log.Enqueue,
        };
        if (transport is RedisTransport chosen)
        {
            options.Transport = chosen;
        }

        return options;
    }
}
