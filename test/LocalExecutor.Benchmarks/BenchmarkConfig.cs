using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BenchmarkDotNet.Validators;

namespace ThreadPerCore.Benchmarks;

/// <summary>
/// The two ways to run the suite. Both run in-process: the W4 percentile columns read what the benchmarks recorded
/// in this process, and no generated project has to build under the repository's warnings-as-errors settings.
/// Every invocation is one whole workload (a million yields, items or messages), so one invocation per iteration.
/// </summary>
internal static class BenchmarkConfig
{
    /// <summary>
    /// A developer's check: 3 measured invocations per peer, with BenchmarkDotNet's jitting invocation as the only
    /// warmup; all six workloads in under two minutes.
    /// </summary>
    public static Job Quick { get; } = Job.Default
        .WithId("Quick")
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(0)
        .WithIterationCount(3)
        .WithInvocationCount(1)
        .WithUnrollFactor(1);

    /// <summary>The published numbers: 3 warmups + 15 measured invocations per peer.</summary>
    public static Job Full { get; } = Job.Default
        .WithId("Full")
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(15)
        .WithInvocationCount(1)
        .WithUnrollFactor(1);

    /// <remarks>
    /// The full mode also runs BenchmarkDotNet's execution validator (every benchmark once before measuring); the
    /// quick mode skips it to stay under two minutes. Both are still guarded by the checks inside every benchmark,
    /// which throw, and so fail the run, when a peer did not do the work it is timed for.
    /// </remarks>
    public static IConfig Create(bool quick)
    {
        ManualConfig config = ManualConfig.CreateEmpty()
        .AddJob(quick ? Quick : Full)
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .AddColumn(StatisticColumn.Median, StatisticColumn.P95)
        .AddLogger(ConsoleLogger.Default)
        .AddExporter(MarkdownExporter.GitHub, CsvExporter.Default, JsonExporter.Full)
        .AddDiagnoser(MemoryDiagnoser.Default, ThreadingDiagnoser.Default)
        .AddValidator(JitOptimizationsValidator.FailOnError, BaselineValidator.FailOnError)
        .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
        .HideColumns(Column.Job, Column.Toolchain, Column.InvocationCount, Column.UnrollFactor, Column.LaunchCount, Column.WarmupCount, Column.IterationCount)
        .WithOptions(ConfigOptions.DisableLogFile);
        return quick ? config : config.AddValidator(ExecutionValidator.FailOnError);
    }
}
