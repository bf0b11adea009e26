using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ThreadPerCore.AspNetCore.Tests.Support;
using ThreadPerCore.Platform;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>The request pipeline, the endpoint and its awaits run on the executor that accepted the connection.</summary>
public sealed class OnCoreTests(ITestOutputHelper output)
{
    private sealed record Seen(string ConnectionId, int Core, bool[] OnCore);

    [Fact]
    public async Task Every_request_of_many_keep_alive_connections_runs_on_the_accepting_core_across_its_awaits()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using TestServer server = await TestServer.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                if (!OnItsCore(context))
                {
                    throw new InvalidOperationException("The request pipeline started off the connection's core.");
                }

                await next(context);
            });
            app.MapPost("/where", async (HttpContext context) =>
            {
                ILocalExecutorConnectionFeature core = context.Features.Get<ILocalExecutorConnectionFeature>()!;
                bool[] checks = new bool[6];
                checks[0] = OnItsCore(context);
                string body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                checks[1] = OnItsCore(context) && body.Length == 1000;
                await Task.Delay(1);                                   // a timer thread completes it
                checks[2] = OnItsCore(context);
                await Task.Run(() => Environment.CurrentManagedThreadId); // the thread pool completes it
                checks[3] = OnItsCore(context);
                await context.Response.WriteAsync(context.Connection.Id + " " + core.Core);
                checks[4] = OnItsCore(context);
                await context.Response.Body.FlushAsync();
                checks[5] = OnItsCore(context);
                seen.Enqueue(new Seen(context.Connection.Id, core.Core, checks));
            });
        });

        const int Clients = 8;
        const int RequestsEach = 30;
        string payload = new('x', 1000);
        string[][] answers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            using HttpClient client = server.CreateClient(connections: 1);
            var replies = new string[RequestsEach];
            for (int i = 0; i < RequestsEach; i++)
            {
                using HttpResponseMessage response = await client.PostAsync("/where", new StringContent(payload));
                response.EnsureSuccessStatusCode();
                replies[i] = await response.Content.ReadAsStringAsync();
            }

            return replies;
        }));

        seen.Should().HaveCount(Clients * RequestsEach);
        seen.Where(s => !s.OnCore.All(c => c)).Should().BeEmpty("every check inside the endpoint must see the accepting core's thread and CPU");
        foreach (string[] replies in answers)
        {
            replies.Distinct().Should().ContainSingle("one client's requests reuse one keep-alive connection, always on one core");
        }

        answers.Select(r => r[0]).Distinct().Should().HaveCount(Clients, "each client has its own connection");
        output.WriteLine($"connections per core: {string.Join(", ", seen.GroupBy(s => s.Core).OrderBy(g => g.Key).Select(g => $"core {g.Key}: {g.Select(s => s.ConnectionId).Distinct().Count()}"))}");
    }

    [Fact]
    public async Task A_keep_alive_request_makes_no_cross_thread_hop_onto_its_core()
    {
        await using TestServer server = await TestServer.StartAsync(app =>
            app.MapGet("/plain", static () => "hello"));
        using HttpClient client = server.CreateClient(connections: 1);
        (await client.GetStringAsync("/plain")).Should().Be("hello"); // the connection exists and is on its core

        long before = server.Pool.Executors.Sum(e => e.GetStats().CrossThreadWorkItems);
        const int Requests = 500;
        for (int i = 0; i < Requests; i++)
        {
            (await client.GetStringAsync("/plain")).Should().Be("hello");
        }

        long hops = server.Pool.Executors.Sum(e => e.GetStats().CrossThreadWorkItems) - before;
        output.WriteLine($"cross-thread work items: {hops} over {Requests} keep-alive requests ({(double)hops / Requests:0.000} per request)");

        // Nothing a keep-alive request does comes from another thread: readiness wakes the core through its own
        // reactor, the pipes' continuations are queued on the core by the core, and Kestrel's heartbeat (once a second)
        // only reads timestamps. The one hop of the connection happened before the count began.
        hops.Should().Be(0);
    }

    [Fact]
    public async Task New_connections_are_spread_over_the_cores_by_SO_REUSEPORT()
    {
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/core", static (HttpContext context) =>
            {
                ILocalExecutorConnectionFeature core = context.Features.Get<ILocalExecutorConnectionFeature>()!;
                return core.Executor.IsOwnerThread ? core.Core.ToString(System.Globalization.CultureInfo.InvariantCulture) : "off its core";
            }),
            transport: options => options.Pool = new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), NamePrefix = "spread" });

        // The kernel picks a listener by a hash of the connection's addresses and ports, so each new connection (a new
        // source port) lands on either core: the chance that 64 all land on one is 2 in 2^64.
        var cores = new System.Collections.Generic.List<string>();
        const int MaxConnections = 64;
        for (int i = 0; i < MaxConnections && cores.Distinct().Count() < 2; i++)
        {
            using HttpClient client = server.CreateClient(); // its own connection
            cores.Add(await client.GetStringAsync("/core"));
        }

        output.WriteLine($"connections until both cores served one: {cores.Count} ({string.Join(" ", cores)})");
        cores.Should().NotContain("off its core");
        cores.Distinct().Should().BeEquivalentTo(["0", "1"], "each core's listener accepts its share of new connections");
    }

    [Fact]
    public async Task The_sample_counter_increments_the_core_local_shard_and_sums_every_core()
    {
        var options = new Web.WebOptions { Port = 0 };
        await using WebApplication app = Web.WebApp.Build(options);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        for (int i = 0; i < 20; i++)
        {
            using HttpClient fresh = new() { BaseAddress = client.BaseAddress }; // new connections land on either core
            (await fresh.PostAsync("/counter/hits", null)).EnsureSuccessStatusCode();
        }

        (await client.GetStringAsync("/counter/hits")).Should().Be("{\"key\":\"hits\",\"value\":20}");
        string stats = await client.GetStringAsync("/stats");
        stats.Should().Contain("\"requestsOffCore\":0");
        await app.StopAsync();
    }

    private static bool OnItsCore(HttpContext context)
    {
        ILocalExecutorConnectionFeature core = context.Features.Get<ILocalExecutorConnectionFeature>()!;
        LocalExecutor executor = core.Executor;
        return executor.IsOwnerThread
            && LocalExecutor.Current == executor
            && Environment.CurrentManagedThreadId == executor.Thread.ManagedThreadId
            && (executor.Placement.Cpu is not int cpu || ThreadCpu.Current == cpu);
    }
}
