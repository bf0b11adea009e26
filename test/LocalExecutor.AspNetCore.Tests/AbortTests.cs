using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ThreadPerCore.AspNetCore.Tests.Support;
using Xunit;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>
/// A connection Kestrel or the app aborts ends as on Kestrel's Sockets transport: the socket is shut down both ways
/// and closed, so the client reads what had reached it and then an orderly end of stream (a FIN), not a reset.
/// </summary>
public sealed class AbortTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_aborted_connection_ends_with_a_FIN_after_what_was_sent_not_a_reset()
    {
        var abort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = await TestServer.StartAsync(app => app.MapGet("/abort", async (HttpContext context) =>
        {
            context.Response.ContentLength = 1_000_000; // more than is ever written: only the abort ends the response
            await context.Response.WriteAsync("first part|");
            await context.Response.Body.FlushAsync();
            await abort.Task; // the client has read the first part
            using CancellationTokenRegistration registration = context.RequestAborted.Register(() => closed.TrySetResult());
            context.Abort();
            await closed.Task;
        }));
        using RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint);
        await raw.SendAsync("GET /abort HTTP/1.1\r\nHost: test\r\n\r\n");
        (await raw.ReadUntilAsync(text => text.EndsWith("first part|", StringComparison.Ordinal), s_bound)).Should().BeTrue();

        abort.SetResult();

        (await raw.ReadToEndAsync(s_bound)).Should().Be(ConnectionEnd.Closed, "Abort shuts the socket down (a FIN), as Kestrel's Sockets transport does; SO_LINGER 0 would reset it");
        raw.Received.Should().EndWith("first part|", "nothing follows the part written before the abort");
        await closed.Task.WaitAsync(s_bound);
    }
}
