using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>One benchmark's numbers, as BenchmarkDotNet's full JSON export and the latency CSV give them.</summary>
internal sealed record BenchmarkRow(
    string Workload,
    string Method,
    double MeanNs,
    double MedianNs,
    double StdDevNs,
    double BytesPerOp,
    long Gen0,
    long Gen1,
    long Gen2,
    long TotalOperations,
    double? LatencyMedianNs,
    double? LatencyP99Ns)
{
    /// <summary>GC collections per invocation (one whole workload), from the memory diagnoser's run.</summary>
    public double PerInvocation(long collections, int operationsPerInvoke) =>
        TotalOperations == 0 ? 0 : (double)collections * operationsPerInvoke / TotalOperations;
}

/// <summary>Reads the newest result of every benchmark from a BenchmarkDotNet results directory.</summary>
internal static class BenchmarkResults
{
    public static IReadOnlyList<BenchmarkRow> Load(string resultsDir)
    {
        if (!Directory.Exists(resultsDir))
        {
            throw new DirectoryNotFoundException($"No BenchmarkDotNet results directory at '{resultsDir}'.");
        }

        // Oldest first, so a newer run of the same benchmark replaces an older one.
        var rows = new Dictionary<(string, string), BenchmarkRow>();
        foreach (string file in Directory.GetFiles(resultsDir, "*-report-full.json").OrderBy(File.GetLastWriteTimeUtc))
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (JsonElement benchmark in json.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                if (!benchmark.TryGetProperty("Statistics", out JsonElement stats) || stats.ValueKind != JsonValueKind.Object)
                {
                    continue; // a benchmark that failed has no statistics
                }

                string type = benchmark.GetProperty("Type").GetString()!;
                string method = benchmark.GetProperty("Method").GetString()!;
                JsonElement memory = benchmark.GetProperty("Memory");
                rows[(type, method)] = new BenchmarkRow(
                    type,
                    method,
                    stats.GetProperty("Mean").GetDouble(),
                    stats.GetProperty("Median").GetDouble(),
                    stats.GetProperty("StandardDeviation").GetDouble(),
                    memory.GetProperty("BytesAllocatedPerOperation").GetDouble(),
                    memory.GetProperty("Gen0Collections").GetInt64(),
                    memory.GetProperty("Gen1Collections").GetInt64(),
                    memory.GetProperty("Gen2Collections").GetInt64(),
                    memory.GetProperty("TotalOperations").GetInt64(),
                    null,
                    null);
            }
        }

        foreach (string file in Directory.GetFiles(resultsDir, "*-latency.csv"))
        {
            string type = Path.GetFileName(file)[..^"-latency.csv".Length];
            foreach (string line in File.ReadLines(file).Skip(1))
            {
                string[] cells = line.Split(',');
                if (cells.Length >= 3 && rows.TryGetValue((type, cells[0]), out BenchmarkRow? row))
                {
                    rows[(type, cells[0])] = row with
                    {
                        LatencyMedianNs = double.Parse(cells[1], CultureInfo.InvariantCulture),
                        LatencyP99Ns = double.Parse(cells[2], CultureInfo.InvariantCulture),
                    };
                }
            }
        }

        return rows.Values.ToList();
    }
}
