using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>One bar per series in each group of a load-test report (the RESP and the web benchmarks), labelled with its
/// value, with a legend of the series below the plot. A null value draws no bar (the report says why).</summary>
internal static class GroupedBarChart
{
    /// <summary>A series: its legend text, its colour, and its value in group <c>g</c> (null: no bar).</summary>
    public sealed record Series(string Label, Color Color, Func<int, double?> Value);

    public static void Save(IReadOnlyList<Series> series, IReadOnlyList<string> groups, string axis, string title, string path)
    {
        var plot = new Plot();
        double width = 0.8 / series.Count;
        double tallest = 0;
        for (int s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < groups.Count; g++)
            {
                if (series[s].Value(g) is double v)
                {
                    tallest = Math.Max(tallest, v);
                    bars.Add(new Bar
                    {
                        Position = g + ((s - ((series.Count - 1) / 2.0)) * width),
                        Value = v,
                        Size = width * 0.95,
                        FillColor = series[s].Color,
                        Label = v >= 100 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture),
                    });
                }
            }

            var bar = plot.Add.Bars(bars);
            bar.LegendText = series[s].Label;
            bar.ValueLabelStyle.FontSize = 9;
        }

        var ticks = new Tick[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            ticks[g] = new Tick(g, groups[g], isMajor: true);
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        // Room above the tallest bar for its value label, and the legend outside the data area: inside, it covered the
        // tallest bar of the first groups and its label.
        plot.Axes.SetLimitsY(0, tallest > 0 ? tallest * 1.12 : 1);
        plot.Axes.SetLimitsX(-0.5, groups.Count - 0.5); // every group, one without bars too (a missing value)
        plot.YLabel(axis);
        plot.Title(title, size: 14);
        plot.ShowLegend(Edge.Bottom);
        plot.SavePng(path, 1300, 560);
    }
}
