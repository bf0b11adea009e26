using Xunit;

namespace ThreadPerCore.Tests;

/// <summary>Tests that read or change the process-wide LocalExecutor.Default run alone, never beside each other.</summary>
[CollectionDefinition(nameof(UsesDefaultExecutor), DisableParallelization = true)]
public sealed class UsesDefaultExecutor
{
}
