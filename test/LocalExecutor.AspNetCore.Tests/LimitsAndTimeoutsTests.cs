using System;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ThreadPerCore.AspNetCore.Tests.Support;
using Xunit;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>Kestrel's limits and timeouts act on the per-core connections: its heartbeat thread aborts them.</summary>
public sealed class LimitsAndTimeoutsTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_connection_over_MaxConcurrentConnections_is_closed_and_one_fits_again_after_a_close()
    {
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/", static () => "ok"),
            kestrel: options => options.Limits.MaxConcurrentConnections = 2);
        using RawHttp first = await OpenWithOneRequestAsync(server);
        using RawHttp second = await OpenWithOneRequestAsync(server);

        using (RawHttp third = await RawHttp.ConnectAsync(server.EndPoint))
        {
            await third.SendAsync("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
            (await third.ReadUntilAsync(text => text.Contains("200 OK", StringComparison.Ordinal), s_bound))
                .Should().BeFalse("Kestrel closes a connection over the limit without serving it");
        }

        first.Dispose();
        using HttpClient client = server.CreateClient();
        string reply = await RetryUntilServedAsync(client); // the slot frees once the server has seen the close
        reply.Should().Be("ok");
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_gets_408_and_a_close()
    {
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/", static () => "ok"),
            kestrel: options => options.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1));
        using RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint);
        await raw.SendAsync("GET / HTTP/1.1\r\nHost: test\r\n"); // and then nothing

        (await raw.ReadUntilAsync(_ => false, s_bound)).Should().BeFalse("the server closes the connection");
        raw.Received.Should().StartWith("HTTP/1.1 408");
    }

    [Fact]
    public async Task A_client_that_sends_its_body_too_slowly_is_cut_off_with_408()
    {
        var failure = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapPost("/", async (HttpContext context) =>
            {
                try
                {
                    await context.Request.Body.CopyToAsync(Stream.Null);
                    failure.TrySetResult("read to the end");
                }
                catch (BadHttpRequestException e)
                {
                    failure.TrySetResult($"{e.StatusCode}");
                    throw;
                }
            }),
            kestrel: options => options.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(bytesPerSecond: 1000, gracePeriod: TimeSpan.FromSeconds(2)));
        using RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint);
        await raw.SendAsync("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\nx");

        (await failure.Task.WaitAsync(s_bound)).Should().Be("408");
        (await raw.ReadUntilAsync(_ => false, s_bound)).Should().BeFalse();
    }

    [Fact]
    public async Task An_idle_keep_alive_connection_is_closed_after_KeepAliveTimeout()
    {
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/", static () => "ok"),
            kestrel: options => options.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(1));
        using RawHttp raw = await OpenWithOneRequestAsync(server);

        (await raw.ReadUntilAsync(_ => false, s_bound)).Should().BeFalse("the server closes the idle connection");
    }

    [Fact]
    public async Task A_client_that_goes_away_mid_request_fires_RequestAborted_and_the_handler_resumes_on_its_core()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = await TestServer.StartAsync(app => app.MapGet("/wait", async (HttpContext context) =>
        {
            LocalExecutor core = context.Features.Get<ILocalExecutorConnectionFeature>()!.Executor;
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult(core.IsOwnerThread);
            }
        }));
        using (RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint))
        {
            await raw.SendAsync("GET /wait HTTP/1.1\r\nHost: test\r\n\r\n");
            await started.Task.WaitAsync(s_bound);
            raw.Socket.LingerState = new LingerOption(true, 0); // a reset, as a killed client would leave
        }

        (await aborted.Task.WaitAsync(s_bound)).Should().BeTrue("the handler's await resumes on the connection's core");
    }

    [Fact]
    public async Task A_client_that_closes_gracefully_mid_request_fires_ConnectionClosed()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = await TestServer.StartAsync(app => app.MapGet("/wait", async (HttpContext context) =>
        {
            var lifetime = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeFeature>()!;
            using CancellationTokenRegistration registration = lifetime.ConnectionClosed.Register(() => closed.TrySetResult());
            started.TrySetResult();
            await closed.Task;
        }));
        using (RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint))
        {
            await raw.SendAsync("GET /wait HTTP/1.1\r\nHost: test\r\n\r\n");
            await started.Task.WaitAsync(s_bound);
        }

        await closed.Task.WaitAsync(s_bound);
    }

    private static async Task<RawHttp> OpenWithOneRequestAsync(TestServer server)
    {
        RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint);
        await raw.SendAsync("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
        (await raw.ReadUntilAsync(text => text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal), s_bound)).Should().BeTrue(); // one chunked "ok"
        return raw;
    }

    private static async Task<string> RetryUntilServedAsync(HttpClient client)
    {
        DateTime deadline = DateTime.UtcNow + s_bound;
        while (true)
        {
            try
            {
                return await client.GetStringAsync("/");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50); // the server has not yet seen the first connection's close
            }
        }
    }
}
