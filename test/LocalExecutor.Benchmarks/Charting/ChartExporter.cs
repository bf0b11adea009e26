namespace ThreadPerCore.Benchmarks.Charting;

internal static class ChartExporter
{
    public static void Render(string resultsDir, string outDir)
    {
    }
}
