using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using ThreadPerCore.AspNetCore.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>
/// HTTP/2 and TLS work over the transport. TLS runs on the core (the hop comes before Kestrel's TLS middleware);
/// HTTP/2 streams do not: Kestrel starts each stream on the thread pool, which these tests measure.
/// </summary>
public sealed class Http2AndTlsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Http2_with_prior_knowledge_serves_concurrent_streams_and_reports_how_many_ran_on_the_core()
    {
        var onCore = new ConcurrentQueue<bool>();
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/h2", (HttpContext context) =>
            {
                onCore.Enqueue(context.Features.Get<ILocalExecutorConnectionFeature>()!.Executor.IsOwnerThread);
                return context.Request.Protocol;
            }),
            listen: listen => listen.Protocols = HttpProtocols.Http2);
        using var client = new HttpClient { BaseAddress = server.Uri, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        string[] replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.GetStringAsync("/h2")));

        replies.Should().AllBe("HTTP/2");
        int on = onCore.Count(c => c);
        output.WriteLine($"HTTP/2 streams whose endpoint ran on the connection's core: {on} of {onCore.Count}");
        onCore.Should().HaveCount(200);
    }

    [Fact]
    public async Task Https_requests_run_on_the_accepting_core_TLS_included()
    {
        using X509Certificate2 certificate = SelfSigned();
        var onCore = new ConcurrentQueue<bool>();
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/tls", (HttpContext context) =>
            {
                onCore.Enqueue(context.Features.Get<ILocalExecutorConnectionFeature>()!.Executor.IsOwnerThread);
                return $"{context.Request.IsHttps} {context.Request.Protocol}";
            }),
            listen: listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(certificate);
            });
        using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true }, MaxConnectionsPerServer = 4 };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.EndPoint.Port}") };

        for (int round = 0; round < 5; round++)
        {
            string[] replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetStringAsync("/tls")));
            replies.Should().AllBe("True HTTP/1.1");
        }

        onCore.Should().HaveCount(40).And.AllSatisfy(c => c.Should().BeTrue("TLS decrypts through the connection's pipes on its core"));
    }

    [Fact]
    public async Task Http2_over_TLS_negotiated_by_ALPN_works()
    {
        using X509Certificate2 certificate = SelfSigned();
        await using TestServer server = await TestServer.StartAsync(
            app => app.MapGet("/alpn", static (HttpContext context) => context.Request.Protocol),
            listen: listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.EndPoint.Port}"), DefaultRequestVersion = HttpVersion.Version20 };

        (await client.GetStringAsync("/alpn")).Should().Be("HTTP/2");
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null); // with its key usable by SslStream
    }
}
