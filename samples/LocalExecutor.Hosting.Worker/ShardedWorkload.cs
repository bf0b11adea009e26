using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ThreadPerCore.Hosting.Worker;

/// <summary>
/// Routes a stream of events by key to the shard that owns the key, where a per-shard table (touched only on that
/// shard's thread, so without locks) counts them; once a second it asks every shard for its totals, in a task queue of
/// its own with a tenth of the events' shares.
/// </summary>
internal sealed partial class ShardedWorkload(
    LocalExecutorPool pool, IOptions<WorkerOptions> options, IHostApplicationLifetime lifetime, ILogger<ShardedWorkload> logger) : BackgroundService
{
    private readonly Dictionary<int, long>[] _tables = Enumerable.Range(0, pool.Count).Select(_ => new Dictionary<int, long>()).ToArray();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WorkerOptions settings = options.Value;
        if (settings.RunFor is TimeSpan runFor)
        {
            _ = Task.Delay(runFor, stoppingToken).ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default);
        }

        TaskQueueHandle[] reports = pool.Executors.Select(shard => shard.CreateTaskQueue("reports", 100)).ToArray();
        var report = Stopwatch.StartNew();
        long sent = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            // A batch of events, each handled on the shard that owns its key.
            var batch = new List<Task>(256);
            for (int i = 0; i < 256; i++, sent++)
            {
                int key = (int)(sent % settings.Keys);
                int shard = pool.ShardFor(key);
                batch.Add(pool[shard].Spawn(() => Count(shard, key)).AsTask());
            }

            await Task.WhenAll(batch).ConfigureAwait(false);
            if (report.Elapsed >= TimeSpan.FromSeconds(1))
            {
                report.Restart();
                long[] totals = await Task.WhenAll(Enumerable.Range(0, pool.Count)
                    .Select(shard => pool[shard].Spawn(reports[shard], () => _tables[shard].Values.Sum()).AsTask())).ConfigureAwait(false);
                LogTotals(logger, sent, string.Join(", ", totals.Select((total, shard) => $"{pool[shard].Name}: {total}")));
            }

            await Task.Delay(10, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        LogDone(logger, sent);
    }

    private long Count(int shard, int key)
    {
        pool[shard].VerifyAccess(); // a shard's table is touched on its own thread only
        Dictionary<int, long> table = _tables[shard];
        long count = table.GetValueOrDefault(key) + 1;
        table[key] = count;
        return count;
    }

    [LoggerMessage(1, LogLevel.Information, "{Sent} events handled so far; per shard: {Totals}.")]
    private static partial void LogTotals(ILogger logger, long sent, string totals);

    [LoggerMessage(2, LogLevel.Information, "Worker stopping after {Sent} events.")]
    private static partial void LogDone(ILogger logger, long sent);
}
