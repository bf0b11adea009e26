using System;
using System.Linq;
using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Xunit;

namespace ThreadPerCore.SystematicTests;

/// <summary>
/// Runs a scenario under Coyote's systematic scheduler: every thread start, lock, semaphore wait, interlocked
/// operation and concurrent-collection access of the rewritten library and test is a scheduling point, and each
/// iteration explores another interleaving. A scenario signals a bug with <c>Specification.Assert</c>, by throwing,
/// or by deadlocking (every controlled thread blocked).
/// </summary>
internal static class Systematic
{
    /// <summary>Iterations per test: enough for the protocols here (bugs are found within a few dozen), small
    /// enough for the suite's time budget on 2 cores.</summary>
    public const int DefaultIterations = 1000;

    /// <summary>Explores <paramref name="scenario"/> and returns the report; throws if the assembly was not
    /// rewritten (a test that runs unrewritten explores nothing and would pass vacuously).</summary>
    public static TestReport Explore(Action scenario, int iterations = DefaultIterations, uint seed = 42)
    {
        Configuration configuration = Configuration.Create()
            .WithTestingIterations((uint)iterations)
            .WithRandomGeneratorSeed(seed)
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

    /// <summary>Asserts that no interleaving broke the scenario and that Coyote controlled everything it ran.</summary>
    public static void AssertNoBug(Action scenario, int iterations = DefaultIterations, uint seed = 42)
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

    /// <summary>Asserts that some interleaving breaks the scenario, and returns the first bug report (the proof that
    /// the test can see the bug it guards against).</summary>
    public static string AssertFindsBug(Action scenario, int iterations = DefaultIterations, uint seed = 42)
    {
        TestReport report = Explore(scenario, iterations, seed);
        Assert.True(report.NumOfFoundBugs > 0, $"Coyote found no bug in {iterations} iterations, but the scenario is known to be broken.");
        return report.BugReports.First();
    }

    /// <summary>Like <see cref="AssertFindsBug"/>, and also returns how many schedules Coyote explored to find the bug and
    /// the schedule it found (Coyote's reproducible trace: the sequence of scheduling decisions), for the test's output.</summary>
    public static (string Bug, long SchedulesExplored, string Trace) AssertFindsBugWithTrace(Action scenario, int iterations = DefaultIterations, uint seed = 42)
    {
        Configuration configuration = Configuration.Create()
            .WithTestingIterations((uint)iterations)
            .WithRandomGeneratorSeed(seed)
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
        TestReport report = engine.TestReport;
        Assert.True(report.NumOfFoundBugs > 0, $"Coyote found no bug in {iterations} iterations, but the scenario is known to be broken.");
        return (report.BugReports.First(), report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths, engine.ReproducibleTrace);
    }
}
