using System;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ThreadPerCore.Benchmarks.Infrastructure;

/// <summary>Adds "RT p50" and "RT p99" columns: per-operation percentiles from <see cref="LatencyResults"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LatencyColumnsAttribute : ColumnConfigBaseAttribute
{
    public LatencyColumnsAttribute()
        : base(new LatencyColumn("RT p50", s => s.MedianNs), new LatencyColumn("RT p99", s => s.P99Ns))
    {
    }
}

internal sealed class LatencyColumn : IColumn
{
    private readonly Func<LatencyStats, double> _pick;

    public LatencyColumn(string name, Func<LatencyStats, double> pick)
    {
        ColumnName = name;
        Id = "Latency." + name;
        _pick = pick;
    }

    public string Id { get; }

    public string ColumnName { get; }

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"{ColumnName} of single operations (round trips), measured per operation, in microseconds";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        LatencyResults.TryGet(benchmarkCase.Descriptor.Type.Name, benchmarkCase.Descriptor.WorkloadMethod.Name, out LatencyStats stats)
            ? (_pick(stats) / 1000).ToString("F2", CultureInfo.InvariantCulture) + " μs"
            : "-";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
