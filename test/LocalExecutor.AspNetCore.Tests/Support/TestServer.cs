using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ThreadPerCore.AspNetCore.Tests.Support;

/// <summary>A real Kestrel app on the LocalExecutor transport, listening on a free loopback port.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(WebApplication app)
    {
        App = app;
        Uri = new Uri(app.Urls.First(url => url.Contains("://127.0.0.1:", StringComparison.Ordinal)));
        EndPoint = new IPEndPoint(IPAddress.Loopback, Uri.Port);
        Factory = app.Services.GetRequiredService<LocalExecutorTransportFactory>();
    }

    public WebApplication App { get; }

    public Uri Uri { get; }

    public IPEndPoint EndPoint { get; }

    public LocalExecutorTransportFactory Factory { get; }

    public LocalExecutorPool Pool => Factory.Pool;

    public static async Task<TestServer> StartAsync(
        Action<WebApplication> map,
        Action<KestrelServerOptions>? kestrel = null,
        Action<ListenOptions>? listen = null,
        Action<LocalExecutorTransportOptions>? transport = null,
        Action<IServiceCollection>? services = null,
        Action<HostOptions>? host = null,
        ILoggerProvider? logs = null,
        bool listenOnLoopback = true)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.WebHost.ConfigureKestrel(options =>
        {
            kestrel?.Invoke(options);
            if (listenOnLoopback)
            {
                options.Listen(IPAddress.Loopback, 0, listenOptions => listen?.Invoke(listenOptions));
            }
        });
        builder.WebHost.UseLocalExecutorTransport(options =>
        {
            options.Pool = new LocalExecutorPoolOptions { Placement = PoolPlacement.OnePerCpu(), NamePrefix = "kestrel-test" };
            transport?.Invoke(options);
        });
        if (host is not null)
        {
            builder.Services.Configure(host);
        }

        services?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        map(app);
        await app.StartAsync();
        return new TestServer(app);
    }

    public HttpClient CreateClient(int connections = 1) => new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = Uri,
        Timeout = TimeSpan.FromSeconds(60),
    };

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
