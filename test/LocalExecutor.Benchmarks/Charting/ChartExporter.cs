using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using ScottPlot;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>
/// Turns a BenchmarkDotNet results directory into one PNG per workload and <c>results.md</c>: the numbers, the
/// speed-ups against the thread pool and against AsyncContext, and the issue-5 targets checked against them.
/// </summary>
internal static class ChartExporter
{
    private static readonly Color LocalColor = Color.FromHex("#2b8a3e");
    private static readonly Color PeerColor = Color.FromHex("#868e96");
    private static readonly Color BaselineColor = Color.FromHex("#1c7ed6");

    public static void Render(string resultsDir, string outDir)
    {
        IReadOnlyList<BenchmarkRow> rows = BenchmarkResults.Load(resultsDir);
        Directory.CreateDirectory(outDir);
        long spawnBytes = SpawnAllocation.MeasureBytes();

        var md = new StringBuilder();
        md.AppendLine("# LocalExecutor benchmark results");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by `dotnet run -c Release --project test/LocalExecutor.Benchmarks` from `{Path.GetFileName(Path.GetFullPath(resultsDir))}`.");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}.");
        md.AppendLine("Times are BenchmarkDotNet means per operation. \"x faster\" = the other peer's time / this row's time (above 1: this row is faster).");
        md.AppendLine("Absolute numbers are noisy on a shared 2-core machine; compare rows within one run.");
        md.AppendLine("In the charts green bars are LocalExecutor, the blue bar is the baseline, grey bars are the other peers. \"BCL channel\" is a bounded System.Threading.Channels channel (capacity 1,024, single reader and writer).");
        foreach (string conditions in RunConditions.Read(resultsDir).Where(line => line.Length > 0).TakeLast(3))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Run: {conditions}. ");
        }

        md.AppendLine();

        var targets = new List<string>();
        foreach (WorkloadInfo workload in WorkloadCatalog.All)
        {
            List<BenchmarkRow> results = rows.Where(r => r.Workload == workload.Type).ToList();
            if (results.Count == 0)
            {
                continue;
            }

            results = OrderAsDeclared(workload, results);
            string png = $"{workload.Type}.png";
            RenderChart(workload, results, Path.Combine(outDir, png));
            AppendTable(md, workload, results, png);
            targets.AddRange(CheckTargets(workload, results, spawnBytes));
        }

        if (targets.Count > 0) // a run of W7 alone (issue 8's echo) checks none of issue 5's targets
        {
            md.AppendLine("## Issue 5 targets, checked against this run");
            md.AppendLine();
            md.AppendLine("| Target | Measured | Verdict |");
            md.AppendLine("|---|---|---|");
            foreach (string line in targets)
            {
                md.AppendLine(line);
            }

            md.AppendLine();
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"One spawn on the owner thread allocates {spawnBytes} B (one `LocalTask`, measured with `GC.GetAllocatedBytesForCurrentThread`).");
        File.WriteAllText(Path.Combine(outDir, "results.md"), md.ToString());
        Console.WriteLine($"Charts and results.md written to {outDir}");
    }

    private static List<BenchmarkRow> OrderAsDeclared(WorkloadInfo workload, List<BenchmarkRow> results)
    {
        Type? type = typeof(ChartExporter).Assembly.GetTypes().FirstOrDefault(t => t.Name == workload.Type);
        string[] declared = type?.GetMethods().Select(m => m.Name).ToArray() ?? [];
        return results.OrderBy(r => Array.IndexOf(declared, r.Method) is int i && i >= 0 ? i : int.MaxValue).ToList();
    }

    private static double Value(WorkloadInfo workload, BenchmarkRow row) =>
        workload.Type == "W6_StartStop" ? row.MeanNs / 1000 : row.MeanNs;

    private static void RenderChart(WorkloadInfo workload, List<BenchmarkRow> results, string path)
    {
        var plot = new Plot();
        bool latency = results.Any(r => r.LatencyMedianNs is not null);
        int n = results.Count;
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (int i = 0; i < n; i++)
        {
            BenchmarkRow row = results[i];
            double position = n - 1 - i;
            Color color = row.Method == workload.Baseline ? BaselineColor : WorkloadCatalog.IsLocal(row.Method) ? LocalColor : PeerColor;
            if (latency)
            {
                // Log scale (latencies span 0.5 µs to milliseconds): bar length = log10(value / LogBase).
                double p50 = (row.LatencyMedianNs ?? double.NaN) / 1000;
                double p99 = (row.LatencyP99Ns ?? double.NaN) / 1000;
                bars.Add(new Bar { Position = position + 0.2, Value = LogLength(p50), FillColor = color, Size = 0.38, Label = $"p50 {p50:0.0#}" });
                bars.Add(new Bar { Position = position - 0.2, Value = LogLength(p99), FillColor = color.WithAlpha(0.45), Size = 0.38, Label = $"p99 {p99:0.0#}" });
            }
            else
            {
                double value = Value(workload, row);
                bars.Add(new Bar { Position = position, Value = value, FillColor = color, Size = 0.7, Label = value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture) });
            }

            ticks.Add(new Tick(position, WorkloadCatalog.Label(row.Method), isMajor: true));
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        barPlot.ValueLabelStyle.FontSize = 12;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
        if (latency)
        {
            double[] decades = [0.1, 1, 10, 100, 1_000, 10_000];
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                decades.Select(d => new Tick(LogLength(d), d.ToString("0.#", CultureInfo.InvariantCulture), isMajor: true)).ToArray());
            plot.Axes.SetLimitsX(0, bars.Max(b => double.IsNaN(b.Value) ? 0 : b.Value) * 1.15);
        }
        else
        {
            plot.Axes.SetLimitsX(0, bars.Max(b => b.Value) * 1.2);
        }

        plot.Axes.SetLimitsY(-0.7, n - 0.3);
        string unit = workload.Type == "W6_StartStop" ? "µs" : "ns";
        plot.Title(workload.Title, size: 15);
        plot.XLabel(latency
            ? $"µs per {workload.Operation}, log scale: p50 (solid), p99 (light); lower is better"
            : $"{unit} per {workload.Operation} (mean); lower is better");
        plot.SavePng(path, 1100, 90 + (n * (latency ? 56 : 42)) + 60);
    }

    private const double LogBase = 0.1; // µs: where the latency bars start

    private static double LogLength(double microseconds) => Math.Log10(microseconds / LogBase);

    private static void AppendTable(StringBuilder md, WorkloadInfo workload, List<BenchmarkRow> results, string png)
    {
        BenchmarkRow? pool = results.FirstOrDefault(r => r.Method == workload.Baseline);
        BenchmarkRow? asyncContext = results.FirstOrDefault(r => r.Method == "AsyncContext");
        bool latency = results.Any(r => r.LatencyMedianNs is not null);
        bool gcs = workload.Type == "W2_ManyTasks";
        string unit = workload.Type == "W6_StartStop" ? "µs" : "ns";

        md.AppendLine(CultureInfo.InvariantCulture, $"## {workload.Title}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![{workload.Type}]({png})");
        md.AppendLine();
        var header = new StringBuilder($"| Peer / door | {unit} per {workload.Operation} | x faster than {(workload.Baseline == "ThreadPool" ? "thread pool" : WorkloadCatalog.Label(workload.Baseline))}");
        if (asyncContext is not null)
        {
            header.Append(" | x faster than AsyncContext");
        }

        if (latency)
        {
            header.Append(" | p50 µs | p99 µs | p50: x faster than thread pool");
        }

        if (workload.Type == "W5_CrossCore")
        {
            header.Append(" | million messages/s");
        }

        header.Append(" | B per ").Append(workload.Operation);
        if (gcs)
        {
            header.Append(" | gen0 / gen1 / gen2 GCs per run");
        }

        header.Append(" |");
        md.AppendLine(header.ToString());
        md.AppendLine(string.Concat(Enumerable.Repeat("|---", header.ToString().Count(c => c == '|') - 1)) + "|");

        foreach (BenchmarkRow row in results)
        {
            var line = new StringBuilder();
            line.Append(CultureInfo.InvariantCulture, $"| {WorkloadCatalog.Label(row.Method)} | {Value(workload, row):F1} | {Ratio(pool?.MeanNs, row.MeanNs)}");
            if (asyncContext is not null)
            {
                line.Append(" | ").Append(Ratio(asyncContext.MeanNs, row.MeanNs));
            }

            if (latency)
            {
                line.Append(CultureInfo.InvariantCulture, $" | {row.LatencyMedianNs / 1000:F2} | {row.LatencyP99Ns / 1000:F2} | {Ratio(pool?.LatencyMedianNs, row.LatencyMedianNs)}");
            }

            if (workload.Type == "W5_CrossCore")
            {
                line.Append(CultureInfo.InvariantCulture, $" | {1000 / row.MeanNs:F2}");
            }

            line.Append(CultureInfo.InvariantCulture, $" | {row.BytesPerOp:0.##}");
            if (gcs)
            {
                line.Append(CultureInfo.InvariantCulture, $" | {row.PerInvocation(row.Gen0, workload.OperationsPerInvoke):0.#} / {row.PerInvocation(row.Gen1, workload.OperationsPerInvoke):0.#} / {row.PerInvocation(row.Gen2, workload.OperationsPerInvoke):0.#}");
            }

            line.Append(" |");
            md.AppendLine(line.ToString());
        }

        md.AppendLine();
    }

    private static string Ratio(double? baseline, double? value) =>
        baseline is double b && value is double v && v > 0 ? (b / v).ToString("F2", CultureInfo.InvariantCulture) + "x" : "n/a";

    private static IEnumerable<string> CheckTargets(WorkloadInfo workload, List<BenchmarkRow> results, long spawnBytes)
    {
        BenchmarkRow? Find(string method) => results.FirstOrDefault(r => r.Method == method);
        BenchmarkRow? pool = Find(workload.Baseline);
        BenchmarkRow? asyncContext = Find("AsyncContext");
        IEnumerable<BenchmarkRow> local = results.Where(r => WorkloadCatalog.IsLocal(r.Method));

        string Verdict(bool met, double ratio, double target) =>
            met ? "met" : $"**missed** (reaches {ratio / target * 100:F0}% of the target)";

        switch (workload.Type)
        {
            case "W1_YieldLoop":
                foreach (BenchmarkRow row in local)
                {
                    double vsPool = pool!.MeanNs / row.MeanNs;
                    double vsAc = asyncContext!.MeanNs / row.MeanNs;
                    string label = WorkloadCatalog.Label(row.Method);
                    yield return $"| W1 {label}: >= 3x thread pool | {vsPool:F2}x | {Verdict(vsPool >= 3, vsPool, 3)} |";
                    yield return $"| W1 {label}: >= 15x AsyncContext | {vsAc:F2}x | {Verdict(vsAc >= 15, vsAc, 15)} |";
                    yield return $"| W1 {label}: 0 B per yield | {row.BytesPerOp:0.##} B | {(row.BytesPerOp < 1 ? "met" : "**missed**")} |";
                }

                break;
            case "W2_ManyTasks":
                foreach (BenchmarkRow row in local)
                {
                    double vsPool = pool!.MeanNs / row.MeanNs;
                    string label = WorkloadCatalog.Label(row.Method);
                    yield return $"| W2 {label}: >= 2.5x thread pool | {vsPool:F2}x | {Verdict(vsPool >= 2.5, vsPool, 2.5)} |";
                    yield return $"| W2 {label}: 0 gen1/gen2 GCs | {row.Gen1} / {row.Gen2} | {(row.Gen1 == 0 && row.Gen2 == 0 ? "met" : "**missed**")} |";
                }

                break;
            case "W3_SpawnJoin":
                if (Find("Local_Spawn") is BenchmarkRow spawn)
                {
                    double vsPool = pool!.MeanNs / spawn.MeanNs;
                    double objects = spawn.BytesPerOp / spawnBytes;
                    yield return $"| W3 spawn API: <= 1 allocation per item | {spawn.BytesPerOp:0.#} B per item = {objects:F2} x the {spawnBytes} B spawned task | {(objects <= 1.05 ? "met" : "**missed**")} |";
                    yield return $"| W3 spawn API: >= 2x Task.Factory.StartNew on the pool | {vsPool:F2}x | {Verdict(vsPool >= 2, vsPool, 2)} |";
                }

                if (Find("Local_Scheduler") is BenchmarkRow scheduler)
                {
                    double vsPool = pool!.MeanNs / scheduler.MeanNs;
                    yield return $"| W3 TaskScheduler: no slower than the pool | {vsPool:F2}x | {Verdict(vsPool >= 1, vsPool, 1)} |";
                }

                break;
            case "W4_PingPong":
                double poolP50 = pool?.LatencyMedianNs ?? double.NaN;
                foreach (BenchmarkRow row in local)
                {
                    double speedup = poolP50 / (row.LatencyMedianNs ?? double.NaN);
                    bool spin = row.Method.EndsWith("_Spin", StringComparison.Ordinal);
                    double target = spin ? 2 : 1;
                    string what = spin ? ">= 2x faster median than the thread pool" : "median no slower than the thread pool";
                    yield return $"| W4 {WorkloadCatalog.Label(row.Method)}: {what} | {row.LatencyMedianNs / 1000:F2} µs vs {poolP50 / 1000:F2} µs ({speedup:F2}x) | {Verdict(speedup >= target, speedup, target)} |";
                }

                break;
            case "W5_CrossCore":
                if (Find("Local_SharedChannel") is BenchmarkRow channel && Find("Local_LocalTask_SystemChannel") is BenchmarkRow stc)
                {
                    double speedup = stc.MeanNs / channel.MeanNs;
                    yield return $"| W5 SharedChannel: >= 2x System.Threading.Channels across cores (async LocalTask on both) | {1000 / channel.MeanNs:F2} vs {1000 / stc.MeanNs:F2} M msg/s ({speedup:F2}x) | {Verdict(speedup >= 2, speedup, 2)} |";
                    if (Find("Local_SharedChannel_Spin") is BenchmarkRow spin && Find("Local_LocalTask_SystemChannel_Spin") is BenchmarkRow stcSpin)
                    {
                        double spinSpeedup = stcSpin.MeanNs / spin.MeanNs;
                        yield return $"| W5 SharedChannel with 50 us spin: >= 2x System.Threading.Channels with the same spin | {1000 / spin.MeanNs:F2} vs {1000 / stcSpin.MeanNs:F2} M msg/s ({spinSpeedup:F2}x) | {Verdict(spinSpeedup >= 2, spinSpeedup, 2)} |";
                    }
                }
                else
                {
                    yield return "| W5 our channel: >= 2x System.Threading.Channels across cores | not measured in this run | **open** |";
                }

                break;
        }
    }
}
