using System;
using System.Net;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>The command line of issue 8, and what a start without the reactor says.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void No_arguments_mean_port_6380_every_cpu_and_the_reactor()
    {
        CommandLine.TryParse([], out RedisServerOptions? options, out string? error).Should().BeTrue(error);
        options!.Port.Should().Be(6380);
        options.Cores.Should().BeNull();
        options.Transport.Should().Be(RedisTransport.Reactor);
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
}
