using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace ThreadPerCore.Soak;

/// <summary>
/// Samples the managed heap after a full collection, the open descriptors (<c>/proc/self/fd</c>) and the threads of
/// the process, and judges whether they stayed flat: the median of the last third of the samples against the median
/// of the first third (after a warm-up), with an allowance for noise.
/// </summary>
internal sealed class ResourceMonitor
{
    private readonly List<Sample> _samples = [];

    public IReadOnlyList<Sample> Samples => _samples;

    public Sample Take()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        int descriptors = Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() - 1 : -1;
        using Process self = Process.GetCurrentProcess();
        var sample = new Sample(Stopwatch.GetTimestamp(), heap, descriptors, self.Threads.Count);
        lock (_samples)
        {
            _samples.Add(sample);
        }

        return sample;
    }

    /// <summary>Checks flatness; needs at least six samples after the first (the warm-up).</summary>
    public void Judge(Ledger ledger)
    {
        Sample[] steady;
        lock (_samples)
        {
            steady = _samples.Skip(1).ToArray();
        }

        if (steady.Length < 6)
        {
            Console.WriteLine($"resources: {steady.Length} samples after warm-up, too few to judge flatness (run longer)");
            return;
        }

        int third = steady.Length / 3;
        Sample[] first = steady[..third];
        Sample[] last = steady[^third..];
        Judge(ledger, "heap bytes", first.Select(s => s.HeapBytes), last.Select(s => s.HeapBytes), early => early * 0.5 + 8_000_000);
        Judge(ledger, "descriptors", first.Select(s => (long)s.Descriptors), last.Select(s => (long)s.Descriptors), _ => 16);
        Judge(ledger, "threads", first.Select(s => (long)s.Threads), last.Select(s => (long)s.Threads), _ => 16);
    }

    private static void Judge(Ledger ledger, string what, IEnumerable<long> first, IEnumerable<long> last, Func<double, double> allowance)
    {
        double early = Median(first);
        double late = Median(last);
        double allowed = allowance(early);
        Console.WriteLine($"resources: {what} median {early:0} early, {late:0} late (allowed growth {allowed:0})");
        ledger.Check(late - early <= allowed, "resource-growth", () => $"{what} grew from a median of {early:0} to {late:0} (allowed {allowed:0})");
    }

    private static double Median(IEnumerable<long> values)
    {
        long[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2.0;
    }

    internal readonly record struct Sample(long Timestamp, long HeapBytes, int Descriptors, int Threads);
}
