using System;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ThreadPerCore.AspNetCore.Tests.Support;
using Xunit;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>Kestrel's graceful shutdown over the per-core listeners, and who owns the pool.</summary>
public sealed class ShutdownTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stopping_refuses_new_connections_and_lets_an_in_flight_request_finish()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/slow", async () =>
            {
                started.TrySetResult();
                await release.Task;
                return "done";
            }),
            host: options => options.ShutdownTimeout = s_bound);
        using HttpClient client = server.CreateClient();
        Task<HttpResponseMessage> inFlight = client.GetAsync("/slow");
        await started.Task.WaitAsync(s_bound);

        Task stopping = server.App.StopAsync();
        await WaitUntilRefusedAsync(server);
        stopping.IsCompleted.Should().BeFalse("a request is still running");

        release.SetResult();
        using HttpResponseMessage response = await inFlight.WaitAsync(s_bound);
        (await response.Content.ReadAsStringAsync()).Should().Be("done");
        response.Headers.ConnectionClose.Should().BeTrue("Kestrel ends the keep-alive of a connection whose response is still to come when the stop begins");
        await stopping.WaitAsync(s_bound);
    }

    [Fact]
    public async Task A_pool_from_AddLocalExecutorPool_serves_the_transport_and_the_host_stops_cleanly_with_a_request_in_flight()
    {
        var logs = new ListLoggerProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/slow", async (HttpContext context) =>
            {
                LocalExecutor core = context.Features.Get<ILocalExecutorConnectionFeature>()!.Executor;
                started.TrySetResult();
                await release.Task;
                return $"{core.Name} {core.IsOwnerThread}";
            }),
            services: services => services.AddLocalExecutorPool(options =>
            {
                options.Placement = PoolPlacement.Unbound(2);
                options.NamePrefix = "hosted";
            }),
            host: options => options.ShutdownTimeout = s_bound,
            logs: logs);
        LocalExecutorPool pool = server.App.Services.GetRequiredService<LocalExecutorPool>();
        server.Pool.Should().BeSameAs(pool, "the transport takes the pool the hosting package registered");

        using HttpClient client = server.CreateClient();
        Task<HttpResponseMessage> inFlight = client.GetAsync("/slow");
        await started.Task.WaitAsync(s_bound);
        Task stopping = server.App.StopAsync();
        await WaitUntilRefusedAsync(server);
        stopping.IsCompleted.Should().BeFalse("the request is still running, so Kestrel, and the pool after it, wait");
        pool.Executors.Should().OnlyContain(e => !e.Completion.IsCompleted, "the pool drains only after the web server stopped");

        release.SetResult();
        using HttpResponseMessage response = await inFlight.WaitAsync(s_bound);
        (await response.Content.ReadAsStringAsync()).Should().MatchRegex("^hosted-[0-9]+ True$", "the request ran on a hosted executor's own thread");
        await stopping.WaitAsync(s_bound);
        foreach (LocalExecutor executor in pool.Executors)
        {
            executor.Completion.IsCompleted.Should().BeTrue("the hosting package drained the pool when the host stopped");
        }

        logs.Entries.Should().BeEmpty("a clean stop logs no warning: no timeout, no task cancelled at the drain deadline, no late work");
        await server.App.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_closes_idle_keep_alive_connections_at_once()
    {
        await using TestServer server = await TestServer.StartAsync(app => app.MapGet("/", static () => "ok"), host: options => options.ShutdownTimeout = s_bound);
        using RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint);
        await raw.SendAsync("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
        (await raw.ReadUntilAsync(text => text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal), s_bound)).Should().BeTrue();

        Task stopping = server.App.StopAsync();
        (await raw.ReadUntilAsync(_ => false, s_bound)).Should().BeFalse("the idle connection is closed");
        await stopping.WaitAsync(s_bound);
    }

    [Fact]
    public async Task A_request_still_running_at_the_shutdown_timeout_is_aborted()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/stuck", async (HttpContext context) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                finally
                {
                    aborted.TrySetResult();
                }
            }),
            host: options => options.ShutdownTimeout = TimeSpan.FromSeconds(1));
        using HttpClient client = server.CreateClient();
        Task<HttpResponseMessage> inFlight = client.GetAsync("/stuck");
        await started.Task.WaitAsync(s_bound);

        await server.App.StopAsync().WaitAsync(s_bound);
        await aborted.Task.WaitAsync(s_bound);
        Func<Task> response = () => inFlight.WaitAsync(s_bound);
        await response.Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task A_pool_the_transport_started_is_stopped_with_the_host()
    {
        TestServer server = await TestServer.StartAsync(app => app.MapGet("/", static () => "ok"));
        LocalExecutorPool pool = server.Pool;
        using (HttpClient client = server.CreateClient())
        {
            (await client.GetStringAsync("/")).Should().Be("ok");
        }

        await server.DisposeAsync();
        foreach (LocalExecutor executor in pool.Executors)
        {
            await executor.Completion.WaitAsync(s_bound);
        }
    }

    [Fact]
    public async Task A_pool_registered_in_the_service_provider_is_used_and_left_running()
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.OnePerCpu(), NamePrefix = "registered" });
        TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/", static (HttpContext context) => context.Features.Get<ILocalExecutorConnectionFeature>()!.Executor.Name),
            services: services => services.AddSingleton(pool)); // an instance: the container does not own it
        using (HttpClient client = server.CreateClient())
        {
            (await client.GetStringAsync("/")).Should().StartWith("registered-");
        }

        server.Pool.Should().BeSameAs(pool);
        await server.DisposeAsync();
        (await pool[0].Spawn(() => 42)).Should().Be(42, "the registered pool still runs");
    }

    private static async Task WaitUntilRefusedAsync(TestServer server)
    {
        DateTime deadline = DateTime.UtcNow + s_bound;
        while (true)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(server.EndPoint);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Queued in a listener's backlog as it closed: the kernel resets those. Try again until refused.
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "the listeners close when the stop begins");
            await Task.Delay(20); // the stop is handed to each core; retry until every listener is closed
        }
    }
}
