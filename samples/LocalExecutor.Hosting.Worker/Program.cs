using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ThreadPerCore.Hosting.Worker;

// A worker service on a thread-per-core pool: the pool comes from the "LocalExecutor" section of appsettings.json,
// starts before the worker and drains after it. Runs until Ctrl+C, or for --Worker:RunFor=00:00:02.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddLocalExecutorPool();
builder.Services.Configure<WorkerOptions>(builder.Configuration.GetSection("Worker"));
builder.Services.AddHostedService<ShardedWorkload>();
await builder.Build().RunAsync();
