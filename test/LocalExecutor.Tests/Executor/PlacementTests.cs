using System;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Platform;
using ThreadPerCore.Tests.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>Pinning, read back from the operating system on the executor thread.</summary>
public sealed class PlacementTests
{
    public static TheoryData<int> AvailableCpus()
    {
        var data = new TheoryData<int>();
        foreach (int cpu in SystemCpus.GetAvailableCpus())
        {
            data.Add(cpu);
        }

        return data;
    }

    [LinuxTheory]
    [MemberData(nameof(AvailableCpus))]
    public async Task The_executor_thread_may_run_only_on_its_chosen_cpu(int cpu)
    {
        await using LocalExecutor executor = Executors.Start($"pinned-{cpu}", Placement.Fixed(cpu));

        (string? procStatus, CpuSet? affinity, int current) = await executor.OnExecutor(
            () => (ThreadAffinity.ReadAllowedCpuListFromProcStatus(), ThreadAffinity.GetCurrentThreadAffinity(), ThreadAffinity.GetCurrentCpu()));

        procStatus.Should().Be(cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), "/proc/thread-self/status lists exactly the chosen CPU");
        affinity.Should().Be(CpuSet.Of(cpu));
        current.Should().Be(cpu);
        executor.Placement.Should().Be(Placement.Fixed(cpu));
    }

    [LinuxFact]
    public async Task An_unbound_executor_may_use_every_cpu_of_the_process()
    {
        await using LocalExecutor executor = Executors.Start("unbound");
        CpuSet? affinity = await executor.OnExecutor(() => ThreadAffinity.GetCurrentThreadAffinity());
        affinity.Should().Be(SystemCpus.GetAvailableCpus());
        executor.Placement.Should().Be(Placement.Unbound);
    }

    [Fact]
    public void An_unavailable_cpu_is_refused_naming_the_cpu_and_the_usable_ones()
    {
        int missing = CpuSet.MaxCpu;
        Action start = () => new LocalExecutor(new LocalExecutorOptions { Placement = Placement.Fixed(missing) }).Dispose();

        start.Should().Throw<ArgumentOutOfRangeException>()
            .Where(e => e.Message.Contains($"CPU {missing}") && e.Message.Contains(SystemCpus.GetAvailableCpus().ToString()));
    }

    [Fact]
    public void Placements_are_equal_by_cpu_and_read_as_what_they_are()
    {
        Placement.Fixed(3).Should().Be(Placement.Fixed(3));
        Placement.Fixed(3).Should().NotBe(Placement.Fixed(4));
        Placement.Fixed(0).Should().NotBe(Placement.Unbound);
        Placement.Fixed(3).GetHashCode().Should().Be(Placement.Fixed(3).GetHashCode());
        Placement.Fixed(3).ToString().Should().Be("Fixed(3)");
        Placement.Unbound.ToString().Should().Be("Unbound");
        Placement.Unbound.Equals(null).Should().BeFalse("null is no placement; comparing with it does not throw");
    }

    [Fact]
    public void A_negative_cpu_is_refused()
    {
        Action fixedCpu = () => Placement.Fixed(-1);
        fixedCpu.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("cpu");
    }

    [Fact]
    public async Task The_thread_carries_the_executor_name()
    {
        await using LocalExecutor executor = Executors.Start("named-executor");
        executor.Thread.Name.Should().Be("named-executor");
        executor.Thread.IsBackground.Should().BeTrue();
        (await executor.OnExecutor(() => LocalExecutor.Current)).Should().BeSameAs(executor);
        LocalExecutor.Current.Should().BeNull();
    }

    [Fact]
    public async Task VerifyAccess_names_the_wrong_thread()
    {
        await using LocalExecutor executor = Executors.Start("verify-access");
        executor.Invoking(e => e.VerifyAccess()).Should().Throw<InvalidOperationException>().WithMessage("*verify-access*");
        await executor.OnExecutor(() => executor.VerifyAccess());
    }

    [Fact]
    public void Bad_arguments_name_themselves()
    {
        using LocalExecutor executor = Executors.Start("bad-arguments");
        executor.Invoking(e => e.Spawn((Func<int>)null!)).Should().Throw<ArgumentNullException>().WithParameterName("work");
        executor.Invoking(e => e.Post(null!)).Should().Throw<ArgumentNullException>().WithParameterName("callback");
        FluentActions.Invoking(() => new LocalExecutor(new LocalExecutorOptions { SpinBeforePark = TimeSpan.FromTicks(-1) }))
            .Should().Throw<ArgumentOutOfRangeException>();
        SystemCpus.GetAvailableCpus().Should().NotBeEmpty();
        SystemCpus.GetAvailableCpus().Max().Should().BeLessThan(CpuSet.MaxCpu);
    }
}
