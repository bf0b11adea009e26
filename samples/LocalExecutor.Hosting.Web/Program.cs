using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ThreadPerCore.Hosting.Web;

// A minimal API whose state is sharded by key: each request is forwarded to the executor that owns its key, which
// alone touches that key's data, with no lock. The pool comes from the "LocalExecutor" section of appsettings.json.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Services.AddLocalExecutorPool();
builder.Services.AddSingleton<ShardedCounters>();

WebApplication app = builder.Build();
app.MapPost("/counters/{key}", (string key, ShardedCounters counters) => counters.IncrementAsync(key));
app.MapGet("/counters/{key}", (string key, ShardedCounters counters) => counters.GetAsync(key));
app.MapGet("/", (ShardedCounters counters) => Results.Text(
    $"{counters.ShardCount} shards. POST /counters/{{key}} increments a counter on the shard that owns the key; GET /counters/{{key}} reads it.\n"));
await app.RunAsync();

/// <summary>The application's entry point, visible to the tests' WebApplicationFactory.</summary>
public sealed partial class Program
{
    private Program()
    {
    }
}
