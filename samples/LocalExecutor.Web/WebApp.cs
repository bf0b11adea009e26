using System;
using System.Linq;
using System.Net;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ThreadPerCore.AspNetCore;

namespace ThreadPerCore.Web;

/// <summary>
/// The sample app: <c>/plaintext</c> and <c>/json</c> as in the TechEmpower benchmarks, <c>/counter/{key}</c> (POST
/// increments the core-local shard, GET sums all shards), and <c>/stats</c> (requests on and off their core, bytes
/// allocated, the executors' cross-thread work items).
/// </summary>
public static class WebApp
{
    private static readonly byte[] s_plaintext = "Hello, World!"u8.ToArray();

    /// <summary>Builds the app on the transport <paramref name="options"/> names.</summary>
    public static WebApplication Build(WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);

        // With any logger enabled for its category, Kestrel's hosting layer opens a log scope and starts an Activity for
        // every request: about 830 B per request (Activity, HostingLogScope, ExecutionContext and AsyncLocal maps, id
        // strings; seen with GC AllocationTick events), on either transport, which would bury what the transports
        // themselves allocate. The TechEmpower benchmarks run without it too. Warnings of every other category still print.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.Bind), options.Port));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, WebJsonContext.Default));

        if (options.Sockets)
        {
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = options.InlineScheduling);
        }
        else
        {
            // The pool is an app-wide singleton: the transport takes it from the service provider, the counter uses it,
            // and the container stops it when the app is disposed.
            builder.Services.AddSingleton(_ => new LocalExecutorPool(new LocalExecutorPoolOptions
            {
                Placement = options.Cores is int cores ? PoolPlacement.Spread(cores) : PoolPlacement.OnePerCpu(),
                NamePrefix = "web",
            }));
            builder.WebHost.UseLocalExecutorTransport();
        }

        WebApplication app = builder.Build();
        LocalExecutorPool? pool = options.Sockets ? null : app.Services.GetRequiredService<LocalExecutorPool>();
        var counters = new RequestCounters(pool?.Count ?? 0);
        var shards = new CounterShards(pool);
        app.Use((context, next) =>
        {
            counters.Count(context);
            return next(context);
        });

        app.MapGet("/plaintext", static (HttpContext context) =>
        {
            HttpResponse response = context.Response;
            response.StatusCode = 200;
            response.ContentType = "text/plain";
            response.ContentLength = s_plaintext.Length;
            return response.Body.WriteAsync(s_plaintext).AsTask();
        });
        app.MapGet("/json", static () => Results.Json(new JsonMessage("Hello, World!"), WebJsonContext.Default.JsonMessage));
        app.MapPost("/counter/{key}", (string key, HttpContext context) =>
            Results.Json(new CounterValue(key, shards.Increment(context.Features.Get<ILocalExecutorConnectionFeature>(), key)), WebJsonContext.Default.CounterValue));
        app.MapGet("/counter/{key}", async (string key) =>
            Results.Json(new CounterValue(key, await shards.TotalAsync(key)), WebJsonContext.Default.CounterValue));
        app.MapGet("/stats", () => Results.Json(
            new WebStats(
                options.TransportName,
                counters.OnCore,
                counters.OffCore,
                GC.GetTotalAllocatedBytes(precise: true),
                pool?.Executors.Sum(e => e.GetStats().CrossThreadWorkItems) ?? 0),
            WebJsonContext.Default.WebStats));
        return app;
    }
}

/// <summary>The <c>/json</c> body.</summary>
/// <param name="Message">Always "Hello, World!".</param>
public sealed record JsonMessage(string Message);

/// <summary>A counter's value.</summary>
/// <param name="Key">The counter.</param>
/// <param name="Value">After POST: the count on the shard that took the increment; after GET: the total.</param>
public sealed record CounterValue(string Key, long Value);

/// <summary>The <c>/stats</c> body.</summary>
/// <param name="Transport">local, sockets or sockets+inline.</param>
/// <param name="RequestsOnCore">Requests whose pipeline ran on their connection's core.</param>
/// <param name="RequestsOffCore">Requests whose pipeline ran on another thread.</param>
/// <param name="AllocatedBytes">The process's <see cref="GC.GetTotalAllocatedBytes(bool)"/>.</param>
/// <param name="CrossThreadWorkItems">The executors' <see cref="ExecutorStats.CrossThreadWorkItems"/>, summed.</param>
public sealed record WebStats(string Transport, long RequestsOnCore, long RequestsOffCore, long AllocatedBytes, long CrossThreadWorkItems);

/// <summary>Source-generated serialization of the sample's bodies.</summary>
[JsonSerializable(typeof(JsonMessage))]
[JsonSerializable(typeof(CounterValue))]
[JsonSerializable(typeof(WebStats))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class WebJsonContext : JsonSerializerContext
{
}
