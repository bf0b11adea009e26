using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace ThreadPerCore.Benchmarks.Infrastructure;

/// <summary>
/// Records one latency sample per operation into a buffer allocated up front (so recording allocates nothing in
/// the measured code), and gives the median and the 99th percentile per operation. BenchmarkDotNet only sees the
/// mean of each iteration; its P95 column is a percentile of iteration means, not of round trips.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly long[] _samples;
    private readonly int _skip;
    private long _seen;

    /// <param name="capacity">Samples kept (a ring: the newest win).</param>
    /// <param name="skip">Samples ignored at the start (the first, jitting invocation).</param>
    public LatencyRecorder(int capacity, int skip)
    {
        _samples = new long[capacity];
        _skip = skip;
    }

    public void Add(long stopwatchTicks)
    {
        long n = _seen++;
        if (n >= _skip)
        {
            _samples[(n - _skip) % _samples.Length] = stopwatchTicks;
        }
    }

    public LatencyStats? Compute()
    {
        long kept = Math.Min(_seen - _skip, _samples.Length);
        if (kept <= 0)
        {
            return null;
        }

        long[] sorted = _samples.AsSpan(0, (int)kept).ToArray();
        Array.Sort(sorted);
        double nsPerTick = 1e9 / Stopwatch.Frequency;
        return new LatencyStats(
            sorted[(int)(kept * 0.50)] * nsPerTick,
            sorted[Math.Min((int)(kept * 0.99), (int)kept - 1)] * nsPerTick,
            (int)kept);
    }
}

/// <summary>Median and p99 of one benchmark's operations, in nanoseconds.</summary>
internal readonly record struct LatencyStats(double MedianNs, double P99Ns, int Samples);

/// <summary>
/// Where latency results go: a table the custom columns read (the in-process toolchain shares this process with
/// the summary) and a CSV next to BenchmarkDotNet's own results for the chart exporter.
/// </summary>
internal static class LatencyResults
{
    private static readonly ConcurrentDictionary<(string Type, string Method), LatencyStats> s_results = new();

    /// <summary>Set by Program to BenchmarkDotNet's results directory.</summary>
    public static string? OutputDirectory { get; set; }

    public static string FileName(string type) => $"{type}-latency.csv";

    public static bool TryGet(string type, string method, out LatencyStats stats) => s_results.TryGetValue((type, method), out stats);

    public static void Publish(string type, string method, LatencyStats stats)
    {
        s_results[(type, method)] = stats;
        if (OutputDirectory is null)
        {
            return;
        }

        Directory.CreateDirectory(OutputDirectory);
        string path = Path.Combine(OutputDirectory, FileName(type));
        bool isNew = !File.Exists(path);
        using var writer = new StreamWriter(path, append: true);
        if (isNew)
        {
            writer.WriteLine("Method,MedianNs,P99Ns,Samples");
        }

        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{method},{stats.MedianNs:F1},{stats.P99Ns:F1},{stats.Samples}"));
    }
}
