using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ThreadPerCore.AspNetCore;
using ThreadPerCore.Platform;

namespace ThreadPerCore.Examples;

/// <summary>README: "ASP.NET Core on the cores".</summary>
internal static class AspNetCoreExample
{
    public static async Task RunAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.WebHost.UseLocalExecutorTransport(options =>                 // the one line that switches the transport
            options.Pool = new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2) });
        await using WebApplication app = builder.Build();

        app.MapGet("/where", async (HttpContext context) =>
        {
            ILocalExecutorConnectionFeature core = context.Features.Get<ILocalExecutorConnectionFeature>()!;
            await Task.Delay(1);                                             // resumes on the connection's core
            return $"core {core.Core} ({core.Executor.Name}), on it: {core.Executor.IsOwnerThread}, CPU {ThreadCpu.Current}";
        });
        await app.StartAsync();

        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        for (int i = 0; i < 3; i++)
        {
            Console.WriteLine($"  GET /where -> {await client.GetStringAsync("/where")}");   // one keep-alive connection, one core
        }

        await app.StopAsync();
    }
}
