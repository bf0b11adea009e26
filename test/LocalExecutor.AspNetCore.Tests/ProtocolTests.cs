using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ThreadPerCore.AspNetCore.Tests.Support;
using Xunit;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>HTTP/1.1 as Kestrel speaks it, over the per-core transport: keep-alive, pipelining, bodies, chunking.</summary>
public sealed class ProtocolTests
{
    private const int TenMegabytes = 10 * 1024 * 1024;

    [Fact]
    public async Task Keep_alive_serves_many_requests_on_one_connection()
    {
        await using TestServer server = await TestServer.StartAsync(app =>
            app.MapGet("/id", static (HttpContext context) => context.Connection.Id));
        using HttpClient client = server.CreateClient(connections: 1);
        string[] ids = new string[50];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = await client.GetStringAsync("/id");
        }

        ids.Distinct().Should().ContainSingle();
        server.App.Services.GetType(); // the server stays up between requests
    }

    [Fact]
    public async Task Sixteen_pipelined_requests_in_one_write_are_answered_in_order()
    {
        await using TestServer server = await TestServer.StartAsync(app =>
            app.MapGet("/n/{n:int}", static (int n) => $"<{n}>"));
        using RawHttp raw = await RawHttp.ConnectAsync(server.EndPoint);
        await raw.SendAsync(string.Concat(Enumerable.Range(0, 16).Select(n => $"GET /n/{n} HTTP/1.1\r\nHost: test\r\n\r\n")));

        (await raw.ReadUntilAsync(text => RawHttp.Count(text, "\r\n0\r\n\r\n") == 16, TimeSpan.FromSeconds(30)))
            .Should().BeTrue("the server answers all sixteen on the open connection");
        string received = raw.Received;
        int[] order = Enumerable.Range(0, 16).Select(n => received.IndexOf($"<{n}>", StringComparison.Ordinal)).ToArray();
        order.Should().NotContain(-1).And.BeInAscendingOrder();
    }

    [Fact]
    public async Task A_10_MB_request_body_comes_back_as_a_10_MB_chunked_response()
    {
        await using TestServer server = await TestServer.StartAsync(app =>
            app.MapPost("/echo", static async (HttpContext context) =>
            {
                // Read it all first: HttpClient reads the response only after sending the request, so streaming the
                // echo would fill both directions' buffers and stall (on any transport).
                var received = new MemoryStream();
                await context.Request.Body.CopyToAsync(received);
                context.Response.ContentType = "application/octet-stream";
                received.Position = 0;
                await received.CopyToAsync(context.Response.Body); // no length given: chunked
            }));
        byte[] body = RandomNumberGenerator.GetBytes(TenMegabytes);
        using HttpClient client = server.CreateClient();
        using HttpResponseMessage response = await client.PostAsync("/echo", new ByteArrayContent(body));

        response.EnsureSuccessStatusCode();
        response.Headers.TransferEncodingChunked.Should().BeTrue();
        byte[] echoed = await response.Content.ReadAsByteArrayAsync();
        echoed.Length.Should().Be(TenMegabytes);
        echoed.AsSpan().SequenceEqual(body).Should().BeTrue();
    }

    [Fact]
    public async Task A_10_MB_response_with_a_content_length_arrives_whole()
    {
        byte[] body = RandomNumberGenerator.GetBytes(TenMegabytes);
        await using TestServer server = await TestServer.StartAsync(app =>
            app.MapGet("/download", async (HttpContext context) =>
            {
                context.Response.ContentLength = body.Length;
                for (int offset = 0; offset < body.Length; offset += 64 * 1024)
                {
                    await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(64 * 1024, body.Length - offset)));
                }
            }));
        using HttpClient client = server.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/download");

        response.Content.Headers.ContentLength.Should().Be(TenMegabytes);
        (await response.Content.ReadAsByteArrayAsync()).AsSpan().SequenceEqual(body).Should().BeTrue();
    }

    [Fact]
    public async Task A_chunked_request_body_is_read_to_its_end()
    {
        await using TestServer server = await TestServer.StartAsync(app =>
            app.MapPost("/hash", static async (HttpContext context) =>
            {
                using var sha = SHA256.Create();
                byte[] hash = await sha.ComputeHashAsync(context.Request.Body);
                return $"{context.Request.Headers.TransferEncoding} {Convert.ToHexString(hash)}";
            }));
        byte[] body = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        using HttpClient client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hash") { Content = new StreamContent(new NonSeekableStream(body)) };
        request.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage response = await client.SendAsync(request);

        (await response.Content.ReadAsStringAsync()).Should().Be($"chunked {Convert.ToHexString(SHA256.HashData(body))}");
    }

    [Fact]
    public async Task Chunked_responses_from_many_small_writes_are_reassembled()
    {
        await using TestServer server = await TestServer.StartAsync(app =>
            app.MapGet("/chunks", static async (HttpContext context) =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    await context.Response.WriteAsync($"{i},");
                    if (i % 100 == 0)
                    {
                        await context.Response.Body.FlushAsync(); // a chunk on the wire now
                    }
                }
            }));
        using HttpClient client = server.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/chunks");

        response.Headers.TransferEncodingChunked.Should().BeTrue();
        (await response.Content.ReadAsStringAsync()).Should().Be(string.Concat(Enumerable.Range(0, 1000).Select(i => $"{i},")));
    }

    /// <summary>A stream HttpClient cannot measure, so it must send it chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
