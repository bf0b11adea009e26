using Xunit;

namespace ThreadPerCore.Tests.Scheduling;

/// <summary>
/// Tests that measure how the scheduler shares time run alone: on a two-core machine, other test classes' busy
/// executors running at the same time would steal the CPU whose division these tests check.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive scheduling tests";
}
