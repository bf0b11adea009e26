using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Text;

namespace ThreadPerCore;

/// <summary>
/// What a shutdown did (<see cref="LocalExecutor.ShutdownAsync(TimeSpan)"/>, <see cref="LocalExecutorPool.ShutdownAsync(TimeSpan)"/>):
/// how much work the drain let finish, whether the deadline cut it short, and what was cancelled then. A pool's report
/// adds up its shards' and lists them in <see cref="Shards"/>. <see cref="ToString"/> is a one-line summary for a log.
/// </summary>
public sealed class ShutdownReport
{
    private static readonly IReadOnlyDictionary<string, int> NoTypes = new ReadOnlyDictionary<string, int>(new Dictionary<string, int>());

    internal ShutdownReport(
        string name,
        TimeSpan drainTime,
        bool deadlineReached,
        int tasksInFlight,
        long itemsRun,
        int cancelledTasks,
        IReadOnlyDictionary<string, int>? cancelledTaskTypes,
        int unfinishedAsyncVoidMethods,
        IReadOnlyList<ShutdownReport>? shards = null)
    {
        Name = name;
        DrainTime = drainTime;
        DeadlineReached = deadlineReached;
        TasksInFlight = tasksInFlight;
        ItemsRun = itemsRun;
        CancelledTasks = cancelledTasks;
        CancelledTaskTypes = cancelledTaskTypes ?? NoTypes;
        UnfinishedAsyncVoidMethods = unfinishedAsyncVoidMethods;
        Shards = shards ?? [];
    }

    /// <summary>The executor's name, or for a pool <c>"pool of N executors"</c>.</summary>
    public string Name { get; }

    /// <summary>How long the drain ran, from the moment the executor's thread saw the stop to the end of the drain (the
    /// longest shard's for a pool).</summary>
    public TimeSpan DrainTime { get; }

    /// <summary>True when the drain ended because its deadline passed (or its token was cancelled, or an unhandled
    /// exception stopped the executor) with work still in flight, which was then cancelled; false when it ran out of work.</summary>
    public bool DeadlineReached { get; }

    /// <summary>Raw tasks (spawns, <see cref="LocalTask"/> methods) that were unfinished when the drain began.</summary>
    public int TasksInFlight { get; }

    /// <summary>Work items (polls, callbacks, continuations, <see cref="System.Threading.Tasks.Task"/>s) the executor ran
    /// while it drained.</summary>
    public long ItemsRun { get; }

    /// <summary>Raw tasks still unfinished at the deadline, which shutdown cancelled (their awaiters see
    /// <see cref="OperationCanceledException"/>).</summary>
    public int CancelledTasks { get; }

    /// <summary>The cancelled tasks by what they were (the async method, or the spawned delegate's method, as
    /// <c>Namespace.Type.Method</c>), with how many of each.</summary>
    public IReadOnlyDictionary<string, int> CancelledTaskTypes { get; }

    /// <summary><c>async void</c> methods started on the executor that had not finished when it stopped: they cannot be
    /// cancelled; their continuations arrive late (see <see cref="LocalExecutorOptions.LateWorkPolicy"/>).</summary>
    public int UnfinishedAsyncVoidMethods { get; }

    /// <summary>For a pool, each shard's report, by shard; empty for an executor's.</summary>
    public IReadOnlyList<ShutdownReport> Shards { get; }

    /// <summary>The report of a pool: the sums of its shards' counts, the longest drain, the deadline reached if any
    /// shard reached it.</summary>
    internal static ShutdownReport Combine(string name, IReadOnlyList<ShutdownReport> shards)
    {
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ShutdownReport shard in shards)
        {
            foreach ((string type, int count) in shard.CancelledTaskTypes)
            {
                types[type] = types.GetValueOrDefault(type) + count;
            }
        }

        return new ShutdownReport(
            name,
            shards.Count == 0 ? TimeSpan.Zero : shards.Max(s => s.DrainTime),
            shards.Any(s => s.DeadlineReached),
            shards.Sum(s => s.TasksInFlight),
            shards.Sum(s => s.ItemsRun),
            shards.Sum(s => s.CancelledTasks),
            new ReadOnlyDictionary<string, int>(types),
            shards.Sum(s => s.UnfinishedAsyncVoidMethods),
            shards);
    }

    /// <summary>For example <c>shard-0: drained in 12 ms, 3 task(s) in flight, 41 item(s) run, nothing cancelled</c>, or
    /// <c>shard-1: deadline reached after 5000 ms; cancelled 2 task(s): MyApp.Handler.ServeAsync x2</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Name).Append(": ");
        text.Append(DeadlineReached ? "deadline reached after " : "drained in ")
            .Append((long)DrainTime.TotalMilliseconds).Append(" ms, ")
            .Append(TasksInFlight).Append(" task(s) in flight, ")
            .Append(ItemsRun).Append(" item(s) run, ");
        if (CancelledTasks == 0)
        {
            text.Append("nothing cancelled");
        }
        else
        {
            text.Append("cancelled ").Append(CancelledTasks).Append(" task(s): ")
                .AppendJoin(", ", CancelledTaskTypes.OrderByDescending(p => p.Value).Select(p => $"{p.Key} x{p.Value}"));
        }

        if (UnfinishedAsyncVoidMethods != 0)
        {
            text.Append("; ").Append(UnfinishedAsyncVoidMethods).Append(" async void method(s) unfinished");
        }

        return text.ToString();
    }
}
