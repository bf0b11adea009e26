using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Extensions.Options;
using ThreadPerCore.Platform;

namespace ThreadPerCore.Hosting;

/// <summary>
/// Checks the pool's options when the host starts, before any executor does, and names each bad setting by its
/// configuration key with the value it has and the values it may have. Every problem is reported at once.
/// </summary>
internal sealed class LocalExecutorPoolOptionsValidator(string section) : IValidateOptions<LocalExecutorPoolOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalExecutorPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ValidatePlacement(options.Placement, failures);

        if (string.IsNullOrWhiteSpace(options.NamePrefix))
        {
            failures.Add($"{section}:NamePrefix is empty; the executors' threads are named '{{NamePrefix}}-{{shard}}'.");
        }

        if (options.SpinBeforePark < TimeSpan.Zero)
        {
            failures.Add($"{section}:SpinBeforePark is {options.SpinBeforePark}; it must be zero (sleep at once) or positive.");
        }

        if (options.PreemptTimeSlice < TimeSpan.FromMilliseconds(1))
        {
            failures.Add($"{section}:PreemptTimeSlice is {options.PreemptTimeSlice}; it must be at least 1 ms (00:00:00.001).");
        }

        if (options.ShutdownTimeout <= TimeSpan.Zero && options.ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{section}:ShutdownTimeout is {options.ShutdownTimeout}; it must be positive, or -00:00:00.001 (infinite).");
        }

        if (options.DrainTimeout < TimeSpan.Zero && options.DrainTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{section}:DrainTimeout is {options.DrainTimeout}; it must be zero or positive, or -00:00:00.001 (infinite).");
        }

        if (!Enum.IsDefined(options.LateWorkPolicy))
        {
            failures.Add($"{section}:LateWorkPolicy is {options.LateWorkPolicy}; it must be one of {string.Join(", ", Enum.GetNames<LateWorkPolicy>())}.");
        }

        if (options.StallThreshold <= TimeSpan.Zero && options.StallThreshold != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{section}:StallThreshold is {options.StallThreshold}; it must be positive, or -00:00:00.001 (off).");
        }

        if (options.StallReportsPerMinute < 0)
        {
            failures.Add($"{section}:StallReportsPerMinute is {options.StallReportsPerMinute}; it must be zero or positive.");
        }

        if (options.StackSize < 0)
        {
            failures.Add($"{section}:StackSize is {options.StackSize}; it must be zero (the runtime's default) or a positive number of bytes.");
        }

        if (!Enum.IsDefined(options.UnhandledExceptionPolicy))
        {
            failures.Add($"{section}:UnhandledExceptionPolicy is {options.UnhandledExceptionPolicy}; it must be one of {string.Join(", ", Enum.GetNames<UnhandledExceptionPolicy>())}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidatePlacement(PoolPlacement? placement, List<string> failures)
    {
        if (placement is null)
        {
            failures.Add($"{section}:Placement is not set; it must be OnePerCpu, Spread(n), Pack(n), Unbound(n) or Cpus(a,b,...).");
            return;
        }

        int usable = SystemCpus.UsableCpuCount;
        if (placement.Kind is PoolPlacementKind.Spread or PoolPlacementKind.Pack && placement.RequestedCount > usable)
        {
            failures.Add($"{section}:Placement is {placement}, {placement.RequestedCount} pinned executors, but this process can use {usable} CPUs at once " +
                $"(CPUs {SystemCpus.GetAvailableCpus()}, with the cgroup quota); ask for at most {usable}, or use Unbound({placement.RequestedCount}).");
        }

        if (placement.Kind == PoolPlacementKind.Cpus)
        {
            CpuSet available = SystemCpus.GetAvailableCpus();
            foreach (int cpu in placement.ExplicitCpus)
            {
                if (!available.Contains(cpu))
                {
                    failures.Add($"{section}:Placement is {placement}, but this process may not use CPU {cpu}; it may use CPUs {available}.");
                }
            }
        }
    }
}
