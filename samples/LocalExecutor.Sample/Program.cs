using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore;
using ThreadPerCore.Platform;

// The main sample: pin an executor to the last CPU this process may use, run async code on it, and show that
// every continuation comes back to the same pinned thread.
int cpu = SystemCpus.GetAvailableCpus().Max;
Console.WriteLine($"Main thread {Environment.CurrentManagedThreadId}; this process may use CPUs {SystemCpus.GetAvailableCpus()}.");

int total = await LocalExecutor.RunAsync(async () =>
{
    Report("start");
    await Task.Yield();
    Report("after Task.Yield");
    await Task.Delay(10);
    Report("after Task.Delay (a timer thread completed it)");
    int sum = await Task.Run(() => Enumerable.Range(1, 100).Sum()); // Task.Run is the explicit way off the core
    Report("after Task.Run");
    int doubled = await DoubleOnTheCoreAsync(sum);
    Report("after a LocalTask method");
    return doubled;
}, new LocalExecutorOptions { Placement = Placement.Fixed(cpu), Name = "sample-executor" });

Console.WriteLine($"Result: {total}");

static void Report(string step) =>
    Console.WriteLine($"  {step,-48} thread {Environment.CurrentManagedThreadId} ({Thread.CurrentThread.Name}), CPU {ThreadCpu.Current}, allowed CPUs {ThreadCpu.Allowed}");

// A raw-task method: its state machine is boxed into a LocalTask on the current executor.
static async LocalTask<int> DoubleOnTheCoreAsync(int value)
{
    await Task.Yield();
    return value * 2;
}
