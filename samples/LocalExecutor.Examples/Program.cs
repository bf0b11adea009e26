using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ThreadPerCore.Examples;

// Every example of the README, runnable: `dotnet run --project samples/LocalExecutor.Examples [-- name ...]`.
var examples = new Dictionary<string, Func<Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["run"] = RunExample.RunAsync,
    ["executor"] = ExecutorExample.RunAsync,
    ["doors"] = DoorsExample.RunAsync,
    ["spawn"] = SpawnExample.RunAsync,
    ["pool"] = PoolExample.RunAsync,
    ["cross-core"] = CrossCoreExample.RunAsync,
    ["channels"] = ChannelsExample.RunAsync,
    ["task-queues"] = TaskQueuesExample.RunAsync,
    ["preemption"] = PreemptionExample.RunAsync,
    ["timers"] = TimersExample.RunAsync,
    ["stats"] = StatsExample.RunAsync,
    ["metrics"] = MetricsExample.RunAsync,
    ["sockets"] = SocketsExample.RunAsync,
    ["shutdown"] = ShutdownExample.RunAsync,
    ["aspnetcore"] = AspNetCoreExample.RunAsync,
    ["stalls"] = StallsExample.RunAsync,
    ["joinable-tasks"] = JoinableTasksExample.RunAsync,
};

IEnumerable<string> chosen = args.Length > 0 ? args : examples.Keys;
foreach (string name in chosen)
{
    if (!examples.TryGetValue(name, out Func<Task>? example))
    {
        Console.Error.WriteLine($"Unknown example '{name}'. Known: {string.Join(", ", examples.Keys)}");
        return 1;
    }

    Console.WriteLine($"== {name}");
    await example();
}

return 0;
