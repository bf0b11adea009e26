using System.Collections.Generic;
using ThreadPerCore.Benchmarks.Workloads;

namespace ThreadPerCore.Benchmarks.Charting;

/// <summary>How each workload is presented: its title, what one operation is, and how many run per invocation.</summary>
internal sealed record WorkloadInfo(string Type, string Title, string Operation, int OperationsPerInvoke, string Baseline);

internal static class WorkloadCatalog
{
    public static IReadOnlyList<WorkloadInfo> All { get; } =
    [
        new(nameof(W1_YieldLoop), "W1: one method awaiting Task.Yield() 1,000,000 times", "yield", W1_YieldLoop.Yields, "ThreadPool"),
        new(nameof(W2_ManyTasks), "W2: 100,000 concurrent tasks x 10 yields", "yield", W2_ManyTasks.TotalYields, "ThreadPool"),
        new(nameof(W3_SpawnJoin), "W3: spawn-and-join 1,000,000 small work items", "item", W3_SpawnJoin.Items, "ThreadPool"),
        new(nameof(W4_PingPong), "W4: cross-thread wake, driver thread <-> task (round trip)", "round trip", W4_PingPong.RoundTrips, "ThreadPool"),
        new(nameof(W5_CrossCore), "W5: 1,000,000 messages, CPU 0 -> CPU 1", "message", W5_CrossCore.Messages, "ThreadPool_SystemChannel"),
        new(nameof(W6_StartStop), "W6: executor start + stop", "start+stop", W6_StartStop.Cycles, "Thread_StartJoin"),
        new(nameof(W7_TcpEcho), "W7: TCP echo round trip, 32 bytes, client CPU 0, server CPU 1", "round trip", W7_TcpEcho.RoundTrips, "ThreadPool"),
    ];

    /// <summary>The display name of a benchmark method.</summary>
    public static string Label(string method) => method switch
    {
        "ThreadPool" => "Thread pool (no context)",
        "AsyncContext" => "Nito AsyncContext",
        "VsThreading_Jtf" => "vs-threading JTF + STSC",
        "ExclusiveScheduler" => "CESP exclusive scheduler",
        "Local_SyncContext" => "LocalExecutor: SynchronizationContext",
        "Local_Scheduler" => "LocalExecutor: TaskScheduler",
        "Local_LocalTask" => "LocalExecutor: async LocalTask",
        "Local_PinnedTask" => "LocalExecutor: [PinnedTaskMethodBuilder] Task",
        "Local_Spawn" => "LocalExecutor: Spawn(static s => ..., state)",
        "Local_SyncContext_Spin" => "LocalExecutor: SynchronizationContext, spin 50 us",
        "Local_LocalTask_Spin" => "LocalExecutor: async LocalTask, spin 50 us",
        "ThreadPool_SystemChannel" => "Thread pool tasks, BCL channel",
        "Local_SyncContext_SystemChannel" => "LocalExecutor async Task, BCL channel",
        "Local_LocalTask_SystemChannel" => "LocalExecutor async LocalTask, BCL channel",
        "Local_LocalTask_SystemChannel_Spin" => "LocalExecutor async LocalTask, BCL channel, spin 50 us",
        "Local_LocalTask_SystemChannel_SameCore" => "Same core (reference): LocalTask, BCL channel",
        "Local_SharedChannel" => "LocalExecutor async LocalTask, SharedChannel",
        "Local_SharedChannel_Spin" => "LocalExecutor async LocalTask, SharedChannel, spin 50 us",
        "Thread_StartJoin" => "new Thread + Start + Join (floor)",
        "Local_Unbound" => "LocalExecutor, unbound",
        "Local_Pinned" => "LocalExecutor, pinned to CPU 1",
        "Local_DotNetSockets" => "LocalExecutor: LocalConnection on .NET sockets",
        "Local_Reactor" => "LocalExecutor: LocalConnection on the reactor",
        _ => method,
    };

    public static bool IsLocal(string method) => method.StartsWith("Local_", System.StringComparison.Ordinal);
}
