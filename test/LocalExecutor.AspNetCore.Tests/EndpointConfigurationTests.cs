using System;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>Endpoints Kestrel gets from URLs rather than from code get the transport and the hop too.</summary>
public sealed class EndpointConfigurationTests
{
    [Fact]
    public async Task An_endpoint_from_UseUrls_runs_its_requests_on_the_accepting_core()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.UseLocalExecutorTransport(options => options.Pool = new LocalExecutorPoolOptions { Placement = PoolPlacement.OnePerCpu() });
        await using WebApplication app = builder.Build();
        app.MapGet("/", static (HttpContext context) =>
            context.Features.Get<ILocalExecutorConnectionFeature>() is { } core && core.Executor.IsOwnerThread ? "core" : "elsewhere");
        await app.StartAsync();

        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        for (int i = 0; i < 20; i++)
        {
            (await client.GetStringAsync("/")).Should().Be("core");
        }

        await app.StopAsync();
    }
}
