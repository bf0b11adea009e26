using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using ThreadPerCore.Benchmarks.Charting;
using ThreadPerCore.Benchmarks.Infrastructure;

namespace ThreadPerCore.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project test/LocalExecutor.Benchmarks -- [--quick] [--filter PATTERN] [--no-chart] [--out DIR]</c>
/// runs the workloads and then renders the charts and the ratio table;
/// <c>-- --chart RESULTS_DIR [--out DIR]</c> only renders them from an earlier run's results;
/// <c>-- --redis-report RAW.csv --out DIR</c> renders build/bench-redis.sh's results (docs/redis.md);
/// <c>-- --web-report RAW.csv --out DIR</c> renders build/bench-web.sh's results (docs/aspnetcore.md).
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        // BenchmarkDotNet runs on a thread of its own: the benchmarks pin the thread that drives them, and the main
        // thread's CPU mask is what LocalExecutor reads as "the CPUs this process may use" (see Cpus.PinDriver).
        Cpus.MainThreadId = Environment.CurrentManagedThreadId;
        int exitCode = 1;
        var runner = new Thread(() => exitCode = Run(args), maxStackSize: 16 * 1024 * 1024) { Name = "benchmark driver" };
        runner.Start();
        runner.Join();
        return exitCode;
    }

    private static int Run(string[] args)
    {
        var rest = new List<string>(args);
        bool quick = Take(rest, "--quick");
        bool noChart = Take(rest, "--no-chart");
        string? chartOnly = TakeValue(rest, "--chart");
        string? redisReport = TakeValue(rest, "--redis-report");
        string? webReport = TakeValue(rest, "--web-report");
        string outDir = TakeValue(rest, "--out") ?? DefaultOutputDirectory();

        if (redisReport is not null)
        {
            RedisReport.Render(redisReport, outDir);
            return 0;
        }

        if (webReport is not null)
        {
            WebReport.Render(webReport, outDir);
            return 0;
        }

        if (chartOnly is not null)
        {
            ChartExporter.Render(chartOnly, outDir);
            return 0;
        }

        if (!rest.Contains("--filter") && !rest.Any(a => a.StartsWith("--filter=", StringComparison.Ordinal)))
        {
            rest.Add("--filter");
            rest.Add("*");
        }

        var config = BenchmarkConfig.Create(quick);
        string resultsDir = Path.Combine(Path.GetFullPath(config.ArtifactsPath ?? "BenchmarkDotNet.Artifacts"), "results");
        LatencyResults.OutputDirectory = resultsDir;

        string startLoad = LoadAverage();
        DateTime started = DateTime.UtcNow;
        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.ToArray(), config).ToArray();
        string filter = string.Join(' ', rest.SkipWhile(a => a != "--filter").Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)));
        RunConditions.Write(resultsDir, quick ? "quick" : "full", filter, started, DateTime.UtcNow, startLoad, LoadAverage());
        if (summaries.Length == 0 || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
        {
            Console.Error.WriteLine("Some benchmarks failed; see the log above.");
            return 1;
        }

        if (!noChart)
        {
            ChartExporter.Render(summaries[0].ResultsDirectoryPath, outDir);
        }

        return 0;
    }

    /// <summary>The 1/5/15-minute load averages (Linux), to record how busy the shared machine was.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static bool Take(List<string> args, string flag) => args.Remove(flag);

    private static string? TakeValue(List<string> args, string option)
    {
        int index = args.IndexOf(option);
        if (index < 0 || index + 1 >= args.Count)
        {
            return null;
        }

        string value = args[index + 1];
        args.RemoveRange(index, 2);
        return value;
    }

    /// <summary>docs/benchmarks of the repository the command runs in (found by LocalExecutor.sln), else of the current directory.</summary>
    private static string DefaultOutputDirectory()
    {
        for (DirectoryInfo? dir = new(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LocalExecutor.sln")))
            {
                return Path.Combine(dir.FullName, "docs", "benchmarks");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "docs", "benchmarks");
    }
}
