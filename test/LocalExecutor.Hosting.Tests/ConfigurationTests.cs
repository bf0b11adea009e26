using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace ThreadPerCore.Hosting.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task Every_setting_binds_from_the_LocalExecutor_section()
    {
        var logs = new LogCollector();
        using IHost host = Build(logs, new Dictionary<string, string?>
        {
            ["LocalExecutor:Placement"] = "Unbound(3)",
            ["LocalExecutor:NamePrefix"] = "cfg",
            ["LocalExecutor:SpinBeforePark"] = "00:00:00.000050",
            ["LocalExecutor:PreemptTimeSlice"] = "00:00:00.004",
            ["LocalExecutor:UnhandledExceptionPolicy"] = "StopExecutor",
            ["LocalExecutor:EnableReactor"] = "false",
            ["LocalExecutor:ShutdownTimeout"] = "00:00:05",
            ["LocalExecutor:StackSize"] = "4194304",
            ["LocalExecutor:SetAsDefault"] = "true",
            ["LocalExecutor:DrainTimeout"] = "00:00:02",
            ["LocalExecutor:LateWorkPolicy"] = "Reject",
            ["LocalExecutor:StallThreshold"] = "00:00:00.200",
            ["LocalExecutor:StallReportsPerMinute"] = "3",
        });

        LocalExecutorPoolOptions options = host.Services.GetRequiredService<IOptions<LocalExecutorPoolOptions>>().Value;
        options.Placement.ToString().Should().Be("Unbound(3)");
        options.NamePrefix.Should().Be("cfg");
        options.SpinBeforePark.Should().Be(TimeSpan.FromMicroseconds(50));
        options.PreemptTimeSlice.Should().Be(TimeSpan.FromMilliseconds(4));
        options.UnhandledExceptionPolicy.Should().Be(UnhandledExceptionPolicy.StopExecutor);
        options.EnableReactor.Should().BeFalse();
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.StackSize.Should().Be(4 * 1024 * 1024);
        options.SetAsDefault.Should().BeTrue();
        options.DrainTimeout.Should().Be(TimeSpan.FromSeconds(2));
        options.LateWorkPolicy.Should().Be(LateWorkPolicy.Reject);
        options.StallThreshold.Should().Be(TimeSpan.FromMilliseconds(200));
        options.StallReportsPerMinute.Should().Be(3);

        await host.StartAsync().Within("the host to start");
        var pool = host.Services.GetRequiredService<LocalExecutorPool>();
        pool.Executors.Should().HaveCount(3).And.OnlyContain(e => !e.HasReactor && e.Name.StartsWith("cfg-", StringComparison.Ordinal));
        LocalExecutor.Default.Should().BeSameAs(pool[0]);
        await host.StopAsync().Within("the host to stop");
        LocalExecutor.Default.Should().NotBeSameAs(pool[0], "the stopped pool restores the previous default");
    }

    [Fact]
    public void Code_overrides_the_configuration()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(
            logs,
            options => options.NamePrefix = "from-code",
            new Dictionary<string, string?> { ["LocalExecutor:NamePrefix"] = "from-config", ["LocalExecutor:Placement"] = "Unbound(1)" });

        LocalExecutorPoolOptions options = host.Services.GetRequiredService<IOptions<LocalExecutorPoolOptions>>().Value;
        options.NamePrefix.Should().Be("from-code");
        options.Placement.ToString().Should().Be("Unbound(1)");
    }

    [Fact]
    public async Task Invalid_settings_fail_the_host_start_naming_every_bad_key()
    {
        var logs = new LogCollector();
        using IHost host = Build(logs, new Dictionary<string, string?>
        {
            ["LocalExecutor:Placement"] = "Unbound(2)",
            ["LocalExecutor:NamePrefix"] = " ",
            ["LocalExecutor:PreemptTimeSlice"] = "00:00:00.0001",
            ["LocalExecutor:SpinBeforePark"] = "-00:00:01",
            ["LocalExecutor:ShutdownTimeout"] = "00:00:00",
            ["LocalExecutor:StackSize"] = "-1",
            ["LocalExecutor:DrainTimeout"] = "-00:00:01",
        });

        Func<Task> start = () => host.StartAsync();

        OptionsValidationException failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().BeEquivalentTo(
            "LocalExecutor:NamePrefix is empty; the executors' threads are named '{NamePrefix}-{shard}'.",
            "LocalExecutor:SpinBeforePark is -00:00:01; it must be zero (sleep at once) or positive.",
            "LocalExecutor:PreemptTimeSlice is 00:00:00.0001000; it must be at least 1 ms (00:00:00.001).",
            "LocalExecutor:ShutdownTimeout is 00:00:00; it must be positive, or -00:00:00.001 (infinite).",
            "LocalExecutor:DrainTimeout is -00:00:01; it must be zero or positive, or -00:00:00.001 (infinite).",
            "LocalExecutor:StackSize is -1; it must be zero (the runtime's default) or a positive number of bytes.");
        logs.Pool.Should().BeEmpty("the pool never started");
    }

    [Fact]
    public async Task Undefined_policies_and_out_of_range_stall_settings_fail_the_start_naming_their_keys()
    {
        var logs = new LogCollector();
        using IHost host = Build(logs, new Dictionary<string, string?>
        {
            ["LocalExecutor:Placement"] = "Unbound(2)",
            ["LocalExecutor:LateWorkPolicy"] = "7",            // numbers bind to enums, defined or not
            ["LocalExecutor:UnhandledExceptionPolicy"] = "9",
            ["LocalExecutor:StallThreshold"] = "00:00:00",
            ["LocalExecutor:StallReportsPerMinute"] = "-1",
        });

        Func<Task> start = () => host.StartAsync();

        OptionsValidationException failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().BeEquivalentTo(
            "LocalExecutor:LateWorkPolicy is 7; it must be one of RunOnThreadPool, Reject.",
            "LocalExecutor:UnhandledExceptionPolicy is 9; it must be one of Continue, StopExecutor.",
            "LocalExecutor:StallThreshold is 00:00:00; it must be positive, or -00:00:00.001 (off).",
            "LocalExecutor:StallReportsPerMinute is -1; it must be zero or positive.");
        logs.Pool.Should().BeEmpty("the pool never started");
    }

    [Fact]
    public async Task A_negative_stall_threshold_is_refused_but_the_infinite_one_turns_detection_off()
    {
        var logs = new LogCollector();
        using IHost refused = Build(logs, new Dictionary<string, string?>
        {
            ["LocalExecutor:Placement"] = "Unbound(1)",
            ["LocalExecutor:StallThreshold"] = "-00:00:00.500",
        });
        Func<Task> start = () => refused.StartAsync();
        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().Equal(
            "LocalExecutor:StallThreshold is -00:00:00.5000000; it must be positive, or -00:00:00.001 (off).");

        using IHost off = Build(logs, new Dictionary<string, string?>
        {
            ["LocalExecutor:Placement"] = "Unbound(1)",
            ["LocalExecutor:StallThreshold"] = "-00:00:00.001",
            ["LocalExecutor:StallReportsPerMinute"] = "0",
        });
        await off.StartAsync().Within("a host with stall detection off");
        await off.StopAsync().Within("the host to stop");
    }

    [Fact]
    public async Task A_placement_that_is_not_one_of_the_forms_fails_the_start_and_says_which_forms_exist()
    {
        var logs = new LogCollector();
        using IHost host = Build(logs, new Dictionary<string, string?> { ["LocalExecutor:Placement"] = "Sprad(2)" });

        Func<Task> start = () => host.StartAsync();

        InvalidOperationException failure = (await start.Should().ThrowAsync<InvalidOperationException>()).Which;
        failure.Message.Should().Contain("LocalExecutor:Placement");
        failure.InnerException.Should().BeOfType<FormatException>().Which.Message.Should()
            .Be("'Sprad(2)' is not a pool placement. A placement is OnePerCpu, Spread(n), Pack(n), Unbound(n) or Cpus(a,b,...), for example \"Spread(4)\".");
    }

    [Fact]
    public async Task A_misspelt_key_fails_the_start_instead_of_being_ignored()
    {
        var logs = new LogCollector();
        using IHost host = Build(logs, new Dictionary<string, string?> { ["LocalExecutor:Placment"] = "Unbound(2)" });

        Func<Task> start = () => host.StartAsync();

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("'Placment'");
    }

    [Fact]
    public async Task A_pinned_cpu_the_process_may_not_use_is_named_at_start()
    {
        var logs = new LogCollector();
        using IHost host = Build(logs, new Dictionary<string, string?> { ["LocalExecutor:Placement"] = "Cpus(4095)" });

        Func<Task> start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("LocalExecutor:Placement is Cpus(4095), but this process may not use CPU 4095; it may use CPUs ");
    }

    [Fact]
    public void A_pool_without_host_configuration_uses_the_defaults_and_the_code()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLocalExecutorPool(options => options.Placement = PoolPlacement.Unbound(1));
        using ServiceProvider provider = services.BuildServiceProvider();

        LocalExecutorPoolOptions options = provider.GetRequiredService<IOptions<LocalExecutorPoolOptions>>().Value;
        options.Placement.ToString().Should().Be("Unbound(1)");
        options.NamePrefix.Should().Be("pool");
        provider.GetRequiredService<LocalExecutorPool>().Count.Should().Be(1, "resolving the pool starts it, host or not");
    }

    private static IHost Build(LogCollector logs, Dictionary<string, string?> configuration) =>
        TestHosts.Build(logs, configure: _ => { }, configuration: configuration);
}
