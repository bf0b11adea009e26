using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using ThreadPerCore.AspNetCore.Tests.Support;
using ThreadPerCore.IO;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>The transport's switches under Kestrel: where connections are processed
/// (<see cref="LocalExecutorTransportOptions.ProcessConnectionsOnCore"/>) and the engine under the sockets
/// (<see cref="LocalExecutorTransportOptions.SocketTransport"/>).</summary>
public sealed class TransportOptionsTests(ITestOutputHelper output)
{
    private const int Requests = 20;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProcessConnectionsOnCore_decides_whether_the_connection_pipeline_runs_on_the_core_or_where_Kestrel_dispatched_it(bool onCore)
    {
        var middleware = new ConcurrentQueue<(bool OwnerThread, bool PoolThread)>();
        var endpoint = new ConcurrentQueue<(bool OwnerThread, bool PoolThread)>();
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/where", (HttpContext context) =>
            {
                endpoint.Enqueue(Where(context.Features.Get<ILocalExecutorConnectionFeature>()!));
                return "ok";
            }),
            listen: listen => listen.Use(next => connection =>
            {
                // After the transport's hop (the endpoint defaults put it first), before Kestrel's HTTP/1.1 loop.
                middleware.Enqueue(Where(connection.Features.Get<ILocalExecutorConnectionFeature>()!));
                return next(connection);
            }),
            transport: options => options.ProcessConnectionsOnCore = onCore);
        using HttpClient client = server.CreateClient();
        for (int i = 0; i < Requests; i++)
        {
            (await client.GetStringAsync("/where")).Should().Be("ok");
        }

        middleware.Should().ContainSingle("one keep-alive connection");
        (bool ownerThread, bool poolThread) = middleware.Single();
        if (onCore)
        {
            ownerThread.Should().BeTrue("the hop runs the rest of the connection pipeline on the core");
            endpoint.Should().HaveCount(Requests).And.OnlyContain(e => e.OwnerThread, "every request runs on the core");
        }
        else
        {
            (ownerThread, poolThread).Should().Be((false, true), "without the hop the pipeline stays where Kestrel dispatched the connection: the thread pool");

            // Kestrel's loop then resumes wherever its awaits complete: a read that waited resumes on the core (the pipe's
            // reader scheduler), one that found data already there goes on on the thread pool. Both are seen; nothing else.
            endpoint.Should().HaveCount(Requests).And.OnlyContain(e => e.OwnerThread != e.PoolThread);
        }

        output.WriteLine($"ProcessConnectionsOnCore={onCore}: endpoint on the core in {endpoint.Count(e => e.OwnerThread)} of {endpoint.Count} requests, on the thread pool in {endpoint.Count(e => e.PoolThread)}");
    }

    [Theory]
    [InlineData(SocketTransport.Auto)]
    [InlineData(SocketTransport.DotNetSockets)]
    public async Task Both_socket_engines_serve_keep_alive_requests_on_the_core(SocketTransport engine)
    {
        var seen = new ConcurrentQueue<(bool OnCore, bool SharedPool)>();
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/where", async (HttpContext context) =>
            {
                var core = context.Features.Get<ILocalExecutorConnectionFeature>()!;
                bool before = core.Executor.IsOwnerThread;
                await Task.Delay(1); // a timer thread completes it
                bool sharedPool = context.Features.Get<IMemoryPoolFeature>()!.MemoryPool == MemoryPool<byte>.Shared;
                seen.Enqueue((before && core.Executor.IsOwnerThread, sharedPool));
                return "ok";
            }),
            transport: options => options.SocketTransport = engine);
        using HttpClient client = server.CreateClient();
        (await client.GetStringAsync("/where")).Should().Be("ok"); // the connection and its hop exist

        long before = server.Pool.Executors.Sum(e => e.GetStats().CrossThreadWorkItems);
        for (int i = 0; i < Requests; i++)
        {
            (await client.GetStringAsync("/where")).Should().Be("ok");
        }

        long handedOver = server.Pool.Executors.Sum(e => e.GetStats().CrossThreadWorkItems) - before;
        output.WriteLine($"{engine}: {handedOver} cross-thread work items over {Requests} keep-alive requests (each awaits a Task.Delay)");
        seen.Should().HaveCount(Requests + 1).And.OnlyContain(s => s.OnCore, "the endpoint runs on the core before and after its await");
        if (engine == SocketTransport.DotNetSockets)
        {
            // .NET's sockets complete on the runtime's I/O thread and the receive comes back to the core through its
            // inbox: at least once per request (besides the Task.Delay's own return). The pipes take the shared pool.
            handedOver.Should().BeGreaterThanOrEqualTo(2 * Requests);
            seen.Should().OnlyContain(s => s.SharedPool);
        }
        else
        {
            // The reactor completes receives on the core itself: only the Task.Delay comes back through the inbox.
            handedOver.Should().Be(Requests);
            seen.Should().OnlyContain(s => !s.SharedPool, "the reactor's pipes take the core's own memory pool");
        }
    }

    private static (bool OwnerThread, bool PoolThread) Where(ILocalExecutorConnectionFeature core) =>
        (core.Executor.IsOwnerThread, Thread.CurrentThread.IsThreadPoolThread);
}
