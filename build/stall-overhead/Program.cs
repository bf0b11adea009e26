// Per-turn cost of stall detection. Run: dotnet run -c Release --project build/stall-overhead (not part of the solution).
using System.Diagnostics;
using ThreadPerCore;
// Per-turn cost of stall detection: one million LocalTask yields (a turn each) and one million spawns, with the
// watcher on (the default 50 ms) and off, alternated, in the same process.
static async LocalTask<long> Yields(int n) { for (int i = 0; i < n; i++) await LocalExecutor.Yield(); return n; }
async Task<double> Run(bool detect, bool spawns)
{
    await using var ex = new LocalExecutor(new LocalExecutorOptions { StallThreshold = detect ? TimeSpan.FromMilliseconds(50) : Timeout.InfiniteTimeSpan });
    const int n = 1_000_000;
    var sw = Stopwatch.StartNew();
    if (spawns) await ex.Spawn(async () => { for (int i = 0; i < n; i++) await ex.Spawn(() => i); });
    else await ex.Start(() => Yields(n));
    return sw.Elapsed.TotalNanoseconds / n;
}
foreach (bool spawns in new[] { false, true })
{
    var on = new List<double>(); var off = new List<double>();
    for (int r = 0; r < 7; r++) { off.Add(await Run(false, spawns)); on.Add(await Run(true, spawns)); }
    on.Sort(); off.Sort();
    Console.WriteLine($"{(spawns ? "spawn+await" : "yield")}: median ns/turn detection off {off[3]:F1}, on {on[3]:F1} (ratio {on[3] / off[3]:F3}; ranges off {off[0]:F1}-{off[6]:F1}, on {on[0]:F1}-{on[6]:F1})");
}
