using System;
using System.Linq;
using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Xunit;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// <see cref="Systematic"/> with Coyote's priority-based strategy (PCT, fair: a thread starved by priorities runs again
/// after the unfair bound) instead of its default portfolio. Defect 1 needs a signaller that stalls between waking a
/// waiter and publishing, for a whole release, re-arm and cancel of that waiter's next wait: one thread starved across
/// two dozen steps of two others. Random scheduling meets that about once in five to ten thousand schedules (measured:
/// iteration 4,222 and 9,623 with the default portfolio), while a low priority plus one change point produces exactly
/// such starvation (iteration 10 here). The shipped protocol is explored by both strategies.
/// </summary>
internal static class PriorityExploration
{
    /// <summary>Priority changes per schedule: the defect needs one (the consumer yields to the stalled signaller between
    /// its reclaim's withdrawal and its look at the version); a few more keep the search from being tailored to it.</summary>
    public const uint PriorityChanges = 5;

    public static TestReport Explore(Action scenario, int iterations, uint seed)
    {
        Configuration configuration = Configuration.Create()
            .WithTestingIterations((uint)iterations)
            .WithRandomGeneratorSeed(seed)
            .WithPrioritizationStrategy(isFair: true, priorityChangeBound: PriorityChanges)
            .WithAtomicOperationRaceCheckingEnabled(true)
            .WithCollectionAccessRaceCheckingEnabled(true)
            .WithLockAccessRaceCheckingEnabled(true)
            .WithVolatileOperationRaceCheckingEnabled(true)
            .WithDeadlockTimeout(1000)
            .WithPotentialDeadlocksReportedAsBugs(true)
            .WithTelemetryEnabled(false);

        using TestingEngine engine = TestingEngine.Create(configuration, scenario);
        Assert.True(engine.IsTestRewritten(), "The systematic tests must run on rewritten assemblies; build the project (its CoyoteRewrite target rewrites the output).");
        engine.Run();
        return engine.TestReport;
    }

    public static void AssertNoBug(Action scenario, int iterations = Systematic.DefaultIterations, uint seed = 42)
    {
        TestReport report = Explore(scenario, iterations, seed);
        Assert.True(
            report.NumOfFoundBugs == 0,
            $"Coyote found a bug in {report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths} explored schedules: "
            + string.Join(Environment.NewLine, report.BugReports));
        Assert.True(
            report.UncontrolledInvocations.Count == 0,
            "Uncontrolled calls (Coyote cannot explore them): " + string.Join(", ", report.UncontrolledInvocations));
        Assert.True(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths >= iterations / 2, "too few schedules explored");
    }

    public static string AssertFindsBug(Action scenario, int iterations = Systematic.DefaultIterations, uint seed = 42)
    {
        TestReport report = Explore(scenario, iterations, seed);
        Assert.True(report.NumOfFoundBugs > 0, $"Coyote found no bug in {iterations} iterations, but the scenario is known to be broken.");
        return report.BugReports.First();
    }
}
