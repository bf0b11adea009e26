using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using ThreadPerCore.AspNetCore.Tests.Support;
using Xunit;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>The connection features Kestrel's Sockets transport provides, and how endpoints are bound.</summary>
public sealed class ConnectionFeatureTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_endpoint_feature_the_socket_feature_and_HttpContext_Connection_name_the_client_socket()
    {
        await using TestServer server = await TestServer.StartAsync(app => app.MapGet("/ends", static (HttpContext context) =>
        {
            var ends = context.Features.Get<IConnectionEndPointFeature>()!;
            var socket = context.Features.Get<IConnectionSocketFeature>()!.Socket;
            return $"{ends.LocalEndPoint}|{ends.RemoteEndPoint}|{socket.RemoteEndPoint}|{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}|{context.Connection.LocalPort}";
        }));

        // HttpClient over a socket the test opens itself, so the client's own address is known.
        EndPoint? client = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                client = socket.LocalEndPoint;
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = server.Uri };
        string[] parts = (await http.GetStringAsync("/ends")).Split('|');

        string clientText = client!.ToString()!;
        parts.Should().Equal(server.EndPoint.ToString(), clientText, clientText, clientText, server.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Connection_items_and_id_live_as_long_as_the_connection()
    {
        await using TestServer server = await TestServer.StartAsync(app => app.MapGet("/visit", static (HttpContext context) =>
        {
            var items = context.Features.Get<IConnectionItemsFeature>()!.Items;
            int visits = items.TryGetValue("visits", out object? value) ? (int)value! + 1 : 1;
            items["visits"] = visits;
            return $"{context.Features.Get<IConnectionIdFeature>()!.ConnectionId} {visits}";
        }));
        using HttpClient first = server.CreateClient();
        using HttpClient second = server.CreateClient();

        string[] a = [await first.GetStringAsync("/visit"), await first.GetStringAsync("/visit"), await first.GetStringAsync("/visit")];
        string b = await second.GetStringAsync("/visit");
        a.Select(s => s.Split(' ')[1]).Should().Equal("1", "2", "3");
        a.Select(s => s.Split(' ')[0]).Distinct().Should().ContainSingle().Which.Should().HaveLength(13);
        b.Should().EndWith(" 1").And.NotStartWith(a[0].Split(' ')[0]);
    }

    [Fact]
    public async Task A_port_another_server_listens_on_fails_the_start_instead_of_being_shared()
    {
        await using TestServer first = await TestServer.StartAsync(app => app.MapGet("/", static () => "first"));
        Func<Task> second = () => TestServer.StartAsync(
            app => app.MapGet("/", static () => "second"),
            kestrel: options => options.Listen(IPAddress.Loopback, first.EndPoint.Port),
            listenOnLoopback: false);

        (await second.Should().ThrowAsync<IOException>()).Which.InnerException.Should().BeOfType<Microsoft.AspNetCore.Connections.AddressInUseException>();
        using HttpClient client = first.CreateClient();
        for (int i = 0; i < 10; i++)
        {
            using HttpClient fresh = first.CreateClient();
            (await fresh.GetStringAsync("/")).Should().Be("first", "no connection goes to a half-started second server");
        }
    }

    [Fact]
    public async Task A_Unix_socket_endpoint_is_served_by_Kestrels_Sockets_transport()
    {
        string path = Path.Combine(Path.GetTempPath(), $"le-{Guid.NewGuid():N}.sock");
        try
        {
            await using TestServer server = await TestServer.StartAsync(
                app => app.MapGet("/", static (HttpContext context) => context.Features.Get<ILocalExecutorConnectionFeature>() is null ? "sockets" : "ours"),
                kestrel: options => options.ListenUnixSocket(path));
            using RawHttp raw = await RawHttp.ConnectAsync(new UnixDomainSocketEndPoint(path));
            await raw.SendAsync("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
            (await raw.ReadUntilAsync(text => text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal), s_bound)).Should().BeTrue();
            raw.Received.Should().Contain("\r\nsockets\r\n");

            using HttpClient client = server.CreateClient();
            (await client.GetStringAsync("/")).Should().Be("ours", "the IP endpoint of the same app is ours");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Replacing_the_endpoint_defaults_without_the_hop_is_logged_and_UseLocalExecutorCores_restores_it()
    {
        var logs = new ListLoggerProvider();
        await using (TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/", static (HttpContext context) => context.Features.Get<ILocalExecutorConnectionFeature>()!.Executor.IsOwnerThread ? "core" : "pool"),
            kestrel: options => options.ConfigureEndpointDefaults(_ => { }),
            logs: logs))
        {
            using (HttpClient client = server.CreateClient())
            {
                await client.GetStringAsync("/");
            }

            await server.App.StopAsync(); // the connection ends: its pipeline is checked as it is disposed
        }

        logs.Entries.Should().Contain(e => e.Message.Contains("UseLocalExecutorCores", StringComparison.Ordinal));

        await using TestServer fixedServer = await TestServer.StartAsync(
            app => app.MapGet("/", static (HttpContext context) => context.Features.Get<ILocalExecutorConnectionFeature>()!.Executor.IsOwnerThread ? "core" : "pool"),
            kestrel: options => options.ConfigureEndpointDefaults(listen => listen.UseLocalExecutorCores()));
        using HttpClient again = fixedServer.CreateClient();
        for (int i = 0; i < 20; i++)
        {
            (await again.GetStringAsync("/")).Should().Be("core");
        }
    }
}
