using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore;
using ThreadPerCore.Platform;
using ThreadPerCore.Soak;
using ThreadPerCore.Soak.Scenarios;

// The soak: every scenario at once for the duration, under a CPU hog, checking invariants as it goes; then a bounded
// wait for every task, a report, and exit code 0 only if no invariant broke (1: violations, 2: bad arguments).
IScenario[] all =
[
    new SpawnScenario(), new LocalChannelScenario(), new SharedChannelScenario(), new MpscChannelScenario(),
    new TimerScenario(), new TaskQueueScenario(), new LifecycleScenario(), new SocketScenario(),
];
SoakOptions options;
try
{
    if (args is ["--help"] or ["-h"])
    {
        Console.WriteLine(SoakOptions.Usage(all.Select(s => s.Name)));
        return 0;
    }

    options = SoakOptions.Parse(args, all.Select(s => s.Name).ToArray());
}
catch (Exception exception) when (exception is ArgumentException or FormatException)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(SoakOptions.Usage(all.Select(s => s.Name)));
    return 2;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"soak: {options.Duration.TotalSeconds:0} s, seed {options.Seed}, scenarios {string.Join(",", options.Scenarios)}, CPU hog {(options.Hog ? "on" : "off")}, {Environment.ProcessorCount} CPUs"));
var clock = Stopwatch.StartNew();
var ledger = new Ledger();
var tracker = new TaskTracker(ledger, options.HangBound);
var monitor = new ResourceMonitor();
using var stop = new CancellationTokenSource();
int[] cpus = SystemCpus.GetAvailableCpus().ToArray();
LocalExecutor StartCore(string name, int index) => new(new LocalExecutorOptions
{
    Name = name,
    Placement = cpus.Length >= 2 ? Placement.Fixed(cpus[index]) : Placement.Unbound,
});

// The watchdog: if the run overshoots by far (something hung where no bounded wait reaches), report and leave.
var watchdog = new Thread(() =>
{
    if (!stop.Token.WaitHandle.WaitOne(options.Duration + TimeSpan.FromMinutes(1)))
    {
        return;
    }

    Thread.Sleep(TimeSpan.FromMinutes(3));
    Console.Error.WriteLine($"soak: WATCHDOG: still running {clock.Elapsed.TotalSeconds:0} s after start; {tracker.Pending} tracked tasks pending");
    foreach (string hung in tracker.WaitForAll(TimeSpan.Zero))
    {
        Console.Error.WriteLine($"  pending: {hung}");
    }

    Environment.Exit(3);
}) { IsBackground = true, Name = "soak-watchdog" };
watchdog.Start();

LocalExecutor a = StartCore("soak-a", 0);
LocalExecutor b = StartCore("soak-b", cpus.Length - 1);
using var canceller = new ForeignCanceller(ledger);
CpuHog? hog = options.Hog ? new CpuHog() : null;
var context = new SoakContext(a, b, ledger, tracker, canceller, options.Seed, stop.Token);
monitor.Take();

var running = new Dictionary<string, Task>(StringComparer.Ordinal);
foreach (IScenario scenario in all.Where(s => options.Scenarios.Contains(s.Name)))
{
    running[scenario.Name] = Task.Run(() => scenario.RunAsync(context));
}

// Progress, sweeps and resource samples while it runs.
TimeSpan sampleEvery = TimeSpan.FromSeconds(Math.Clamp(options.Duration.TotalSeconds / 12, 1, 15));
var nextSample = clock.Elapsed + sampleEvery;
while (clock.Elapsed < options.Duration && running.Values.Any(t => !t.IsCompleted))
{
    Thread.Sleep(250);
    tracker.Sweep();
    if (clock.Elapsed >= nextSample)
    {
        ResourceMonitor.Sample sample = monitor.Take();
        nextSample = clock.Elapsed + sampleEvery;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {clock.Elapsed.TotalSeconds,5:0} s: heap {sample.HeapBytes / 1024.0 / 1024.0:0.0} MiB, {sample.Descriptors} fds, {sample.Threads} threads, {tracker.Pending} tasks pending, {ledger.ViolationCount} violations"));
    }
}

await stop.CancelAsync();
foreach ((string name, Task task) in running)
{
    try
    {
        await task.WaitAsync(TimeSpan.FromSeconds(90));
    }
    catch (TimeoutException)
    {
        ledger.Violation("scenario-hung", $"{name} did not finish its last round within 90 s of the stop");
    }
    catch (Exception exception)
    {
        ledger.Violation("scenario-crashed", $"{name}: {exception}");
    }
}

IReadOnlyList<string> stillPending = tracker.WaitForAll(TimeSpan.FromSeconds(30));
foreach (string pending in stillPending)
{
    ledger.Violation("task-never-ended", pending);
}

hog?.Dispose();
foreach (LocalExecutor executor in new[] { a, b })
{
    try
    {
        await executor.DisposeAsync();
    }
    catch (Exception exception)
    {
        ledger.Violation("dispose-failed", $"{executor.Name}: {exception.Message}");
    }
}

monitor.Take();
TimeSpan ran = clock.Elapsed;
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak report: ran {ran.TotalSeconds:0.0} s, seed {options.Seed}"));
foreach ((string name, long value) in ledger.Counts)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-52} {value,14:N0}"));
}

if (hog is not null)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"cpu-hog.spin-batches",-52} {hog.Spins,14:N0}"));
}

monitor.Judge(ledger);
Console.WriteLine();
if (ledger.ViolationCount == 0)
{
    Console.WriteLine("invariants: all held (nothing lost, nothing run twice, every task ended, resources flat)");
    return 0;
}

Console.WriteLine($"invariants: {ledger.ViolationCount} VIOLATIONS");
foreach ((string kind, long count) in ledger.ViolationKinds)
{
    Console.WriteLine($"  {kind}: {count}");
}

foreach (string first in ledger.FirstViolations.Take(40))
{
    Console.WriteLine($"  e.g. {first}");
}

return 1;
