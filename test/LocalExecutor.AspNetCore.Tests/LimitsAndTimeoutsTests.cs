using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using MinDataRate = Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate;
using ThreadPerCore.AspNetCore.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>Kestrel's limits and timeouts act on the per-core connections: its heartbeat thread aborts them.</summary>
public sealed class LimitsAndTimeoutsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_connection_over_MaxConcurrentConnections_is_closed_and_one_fits_again_after_a_close()
    {
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/", static () => "ok"),
            kestrel: options => options.Limits.MaxConcurrentConnections = 2);
        HttpClient first = server.CreateClient(); // each keeps its keep-alive connection open
        using HttpClient second = server.CreateClient();
        (await first.GetStringAsync("/")).Should().Be("ok");
        (await second.GetStringAsync("/")).Should().Be("ok");

        using (HttpClient third = server.CreateClient())
        {
            Func<Task> over = () => third.GetStringAsync("/");
            await over.Should().ThrowAsync<HttpRequestException>("Kestrel closes a connection over the limit without serving it");
        }

        first.Dispose(); // closes its connection
        using HttpClient fourth = server.CreateClient();
        string reply = await RetryUntilServedAsync(fourth); // the slot frees once the server has seen the close
        reply.Should().Be("ok");
        (await second.GetStringAsync("/")).Should().Be("ok", "the connections under the limit were never touched");
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
            kestrel: options => options.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1000, gracePeriod: TimeSpan.FromSeconds(2)));
        using RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint);
        await raw.SendAsync("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\nx");

        (await failure.Task.WaitAsync(s_bound)).Should().Be("408");
        (await raw.ReadUntilAsync(_ => false, s_bound)).Should().BeFalse();
    }

    [Fact]
    public async Task A_client_that_does_not_read_holds_the_write_at_MaxWriteBufferSize_until_MinResponseDataRate_aborts_it()
    {
        const int Chunk = 16 * 1024;
        const long MaxWriteBufferSize = 64 * 1024;
        var progress = new WriteProgress();
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/flood", async (HttpContext context) =>
            {
                // A small kernel send buffer (autotuned it grows to megabytes), so what the server holds beyond it
                // is the transport's pipe, measurable to the chunk.
                progress.Socket = context.Features.Get<IConnectionSocketFeature>()!.Socket;
                progress.Socket.SendBufferSize = 32 * 1024;
                byte[] chunk = new byte[Chunk];
                try
                {
                    // Bounded for the case this test guards against: a write that never waits would run forever.
                    while (progress.Written < 256L * 1024 * 1024)
                    {
                        progress.Starting();
                        await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                        progress.Wrote(Chunk);
                    }

                    progress.End("every write completed");
                }
                catch (OperationCanceledException)
                {
                    progress.End("aborted");
                }
            }),
            // Kestrel lets fast writes bank time (each adds bytes / rate to the deadline): a high rate keeps what the
            // socket buffers took quickly (megabytes) from postponing the abort past the 2 s grace period.
            kestrel: options => options.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 10_000_000, gracePeriod: TimeSpan.FromSeconds(2)),
            transport: options => options.MaxWriteBufferSize = MaxWriteBufferSize);
        using RawHttp client = await RawHttp.ConnectAsync(server.EndPoint, socket => socket.ReceiveBufferSize = 64 * 1024);
        await client.SendAsync("GET /flood HTTP/1.1\r\nHost: test\r\n\r\n"); // and never read

        // The socket buffers fill, then the pipe up to its pause threshold, and the app's write waits. What was written
        // and is in neither socket buffer is in the pipe (a lower estimate of the pipe's blocks: the batch the send loop
        // is sending stays in the pipe until all of it was sent).
        TimeSpan waited = await progress.WaitForAWriteWaitingAsync(TimeSpan.FromMilliseconds(300), s_bound);
        long written = progress.Written + Chunk; // the waiting write's bytes are in the pipe already
        int inServerKernel = SocketQueues.Unacknowledged(progress.Socket!);
        int inClientKernel = SocketQueues.Unread(client.Socket);
        long inPipe = written - inServerKernel - inClientKernel;
        output.WriteLine($"waiting write after {written} bytes: {inServerKernel} in the server's send queue, {inClientKernel} unread by the client, {inPipe} in the transport's pipe (MaxWriteBufferSize {MaxWriteBufferSize})");
        progress.WaitingSince.Should().NotBe(0, "the write measured is still waiting");
        inPipe.Should().BeLessThanOrEqualTo(MaxWriteBufferSize + Chunk + 64, // the chunked framing's few bytes
            $"the transport holds at most MaxWriteBufferSize and the waiting write ({written} written: {inServerKernel} in the server's send queue, {inClientKernel} unread by the client, waiting {waited.TotalMilliseconds:0} ms)");

        // Kestrel's heartbeat sees the flush stuck past the rate's grace period and aborts the connection.
        (await progress.Ended.Task.WaitAsync(s_bound)).Should().Be("aborted");
        progress.LongestWait.Should().BeGreaterThan(TimeSpan.FromSeconds(1), "the write waited for the client until the abort, about the 2 s grace period");

        // What reached the kernel is still delivered, then an orderly end (the abort shuts the socket down).
        (await client.ReadToEndAsync(s_bound)).Should().Be(ConnectionEnd.Closed);
        client.ReceivedBytes.Should().BeGreaterThan(inClientKernel).And.BeLessThanOrEqualTo(written + 1024);
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
    /// <summary>An app's writes as the test sees them: bytes written, whether one is waiting and since when.</summary>
    private sealed class WriteProgress
    {
        private long _written;
        private long _waitingSince;
        private long _longestWaitTicks;

        public Socket? Socket { get; set; }

        public long Written => Interlocked.Read(ref _written);

        /// <summary><see cref="Stopwatch"/> timestamp the pending write started at; 0 when none is pending.</summary>
        public long WaitingSince => Interlocked.Read(ref _waitingSince);

        /// <summary>The longest any write took that ended (completed or cancelled). Not the last write's: the abort may
        /// complete the waiting write, and the next one then fails at once.</summary>
        public TimeSpan LongestWait => TimeSpan.FromTicks(Interlocked.Read(ref _longestWaitTicks));

        public TaskCompletionSource<string> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Starting() => Interlocked.Exchange(ref _waitingSince, Stopwatch.GetTimestamp());

        public void Wrote(int bytes)
        {
            Interlocked.Add(ref _written, bytes);
            Finished();
        }

        public void End(string how)
        {
            Finished();
            Ended.TrySetResult(how);
        }

        /// <summary>Polls until one write has been waiting for <paramref name="atLeast"/>; fails after <paramref name="bound"/>
        /// or when the writes end first.</summary>
        public async Task<TimeSpan> WaitForAWriteWaitingAsync(TimeSpan atLeast, TimeSpan bound)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                long since = WaitingSince;
                if (since != 0 && Stopwatch.GetElapsedTime(since) >= atLeast)
                {
                    return Stopwatch.GetElapsedTime(since);
                }

                Ended.Task.IsCompleted.Should().BeFalse($"a write should wait for the client, but the writes ended ({(Ended.Task.IsCompleted ? Ended.Task.Result : "")}) after {Written} bytes");
                deadline.Elapsed.Should().BeLessThan(bound, $"a write should wait for the client within {bound}; {Written} bytes written");
                await Task.Delay(20);
            }
        }

        private void Finished()
        {
            long since = Interlocked.Exchange(ref _waitingSince, 0);
            if (since != 0)
            {
                long ticks = Stopwatch.GetElapsedTime(since).Ticks;
                if (ticks > Interlocked.Read(ref _longestWaitTicks))
                {
                    Interlocked.Exchange(ref _longestWaitTicks, ticks); // only the app's one writing thread gets here
                }
            }
        }
    }
}
