using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Hosting.Tests;

/// <summary>The process's CPU affinity is process-wide: the tests that change it run alone.</summary>
[CollectionDefinition(nameof(ProcessAffinity), DisableParallelization = true)]
public sealed class ProcessAffinity
{
}

/// <summary>A Linux fact that needs at least two CPUs the process may use: it takes one of them away.</summary>
internal sealed class LinuxWithTwoCpusFactAttribute : FactAttribute
{
    public LinuxWithTwoCpusFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Changes the process's affinity with sched_setaffinity: Linux only.";
        }
        else if (SystemCpus.GetAvailableCpus().Count < 2)
        {
            Skip = "Needs two CPUs this process may use.";
        }
    }
}

/// <summary>
/// A pool that fails to start for real, after its options were validated: the CPUs the process may use shrink between
/// the validation and the pool's start (a <c>taskset</c> or a cpuset change by the operator or the container runtime),
/// and the pool's own check refuses the placement. The host validates the options as it hands them to the pool, so the
/// test takes the CPU away in a <see cref="PoolFactory"/> that then calls the real constructor: only the moment is
/// chosen; the failure, and its exception, are the pool's.
/// </summary>
[Collection(nameof(ProcessAffinity))]
public sealed partial class PoolStartFailureTests
{
    [LinuxWithTwoCpusFact]
    public async Task A_pool_whose_cpus_shrink_after_validation_fails_the_host_start_with_its_own_exception()
    {
        int pinned = SystemCpus.GetAvailableCpus().Max;
        var logs = new LogCollector();
        var shrink = new AffinityShrink(pinned);
        var later = new StartProbe();
        try
        {
            using IHost host = TestHosts.Build(
                logs,
                options => options.Placement = PoolPlacement.Cpus(pinned), // valid when the host validates it
                services: s =>
                {
                    s.AddSingleton((PoolFactory)(options =>
                    {
                        shrink.Apply();
                        return new LocalExecutorPool(options);
                    }));
                    s.AddSingleton<IHostedService>(later);
                });

            Func<Task> start = () => host.StartAsync();

            ArgumentOutOfRangeException failure = (await start.Should().ThrowAsync<ArgumentOutOfRangeException>()).Which;
            shrink.Shrunk.Should().BeTrue("the CPU was taken away after the validation");
            failure.Message.Should().Contain($"CPU {pinned} (shard 0 of Cpus({pinned})) is not available to this process");
            LogEntry logged = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 2).Subject;
            logged.Level.Should().Be(LogLevel.Critical);
            logged.Exception.Should().BeSameAs(failure, "the host fails with the pool's own exception, and the log carries it");
            later.Started.Should().BeFalse("no hosted service starts after a pool that failed to start");
            logs.Pool.Should().NotContain(e => e.EventId.Id == 1, "the pool never started");
        }
        finally
        {
            shrink.Restore();
        }
    }

    /// <summary>Takes one CPU out of the affinity of the process's main thread, which is what
    /// <see cref="SystemCpus.GetAvailableCpus"/> reads, and puts it back.</summary>
    private sealed class AffinityShrink(int cpu)
    {
        private ulong[]? _original;

        public bool Shrunk { get; private set; }

        public void Apply()
        {
            var mask = new ulong[CpuSet.MaxCpu / 64 + 1];
            Affinity.Get(mask);
            _original = (ulong[])mask.Clone();
            mask[cpu / 64] &= ~(1UL << (cpu % 64));
            Affinity.Set(mask);
            Shrunk = !SystemCpus.GetAvailableCpus().Contains(cpu);
        }

        public void Restore()
        {
            if (_original is not null)
            {
                Affinity.Set(_original);
                _original = null;
            }
        }
    }

    private sealed class StartProbe : IHostedService
    {
        public bool Started { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The affinity of the process's main thread (its thread id is the process id).</summary>
    private static partial class Affinity
    {
        public static void Get(ulong[] mask)
        {
            if (SchedGetAffinity(Environment.ProcessId, (nuint)(mask.Length * sizeof(ulong)), mask) != 0)
            {
                throw new InvalidOperationException($"sched_getaffinity failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        public static void Set(ulong[] mask)
        {
            if (SchedSetAffinity(Environment.ProcessId, (nuint)(mask.Length * sizeof(ulong)), mask) != 0)
            {
                throw new InvalidOperationException($"sched_setaffinity failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
        private static partial int SchedGetAffinity(int pid, nuint size, [Out] ulong[] mask);

        [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
        private static partial int SchedSetAffinity(int pid, nuint size, ulong[] mask);
    }
}
