using System;
using System.Globalization;
using System.IO;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>A line saying how and when the suite ran and how loaded the machine was, kept next to the results.</summary>
internal static class RunConditions
{
    private const string FileName = "run-conditions.txt";

    public static void Write(string resultsDir, string mode, DateTime started, DateTime finished, string startLoad, string endLoad)
    {
        Directory.CreateDirectory(resultsDir);
        File.WriteAllText(
            Path.Combine(resultsDir, FileName),
            string.Create(
                CultureInfo.InvariantCulture,
                $"{mode} mode, {started:yyyy-MM-dd HH:mm}-{finished:HH:mm} UTC ({(finished - started).TotalMinutes:F1} min), load average (1/5/15 min) {startLoad} at the start and {endLoad} at the end"));
    }

    public static string? Read(string resultsDir)
    {
        string path = Path.Combine(resultsDir, FileName);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
