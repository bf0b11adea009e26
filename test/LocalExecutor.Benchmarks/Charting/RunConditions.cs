using System;
using System.Globalization;
using System.IO;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>A line saying how and when the suite ran and how loaded the machine was, kept next to the results.</summary>
internal static class RunConditions
{
    private const string FileName = "run-conditions.txt";

    /// <summary>Appends one line per run: results of different workloads may come from different runs (a filtered
    /// run replaces only its own workloads), so every run that contributed is listed.</summary>
    public static void Write(string resultsDir, string mode, string filter, DateTime started, DateTime finished, string startLoad, string endLoad)
    {
        Directory.CreateDirectory(resultsDir);
        File.AppendAllText(
            Path.Combine(resultsDir, FileName),
            string.Create(
                CultureInfo.InvariantCulture,
                $"{mode} mode, filter {filter}, {started:yyyy-MM-dd HH:mm}-{finished:HH:mm} UTC ({(finished - started).TotalMinutes:F1} min), load average (1/5/15 min) {startLoad} at the start and {endLoad} at the end{Environment.NewLine}"));
    }

    /// <summary>The runs, oldest first.</summary>
    public static string[] Read(string resultsDir)
    {
        string path = Path.Combine(resultsDir, FileName);
        return File.Exists(path) ? File.ReadAllLines(path) : [];
    }

    /// <summary>Lists the <c>conditions.txt</c> a load-test script (build/bench-redis.sh, build/bench-web.sh) wrote next to
    /// its raw results, if there is one.</summary>
    public static void AppendLoadTestConditions(System.Text.StringBuilder md, string rawCsv)
    {
        string conditions = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(rawCsv))!, "conditions.txt");
        if (!File.Exists(conditions))
        {
            return;
        }

        md.AppendLine("Run conditions:");
        md.AppendLine();
        foreach (string line in File.ReadLines(conditions))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        md.AppendLine();
    }
}
