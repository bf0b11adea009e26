using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Pool;

/// <summary>Tests that change the process-wide <see cref="LocalExecutor.Default"/> run alone, so they cannot disturb
/// tests that rely on it being unset.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideDefault
{
    public const string Name = "Process-wide LocalExecutor.Default";
}

[Collection(ProcessWideDefault.Name)]
public sealed class PoolDefaultExecutorTests
{
    [Fact]
    public async Task SetAsDefault_makes_shard_zero_the_default_until_disposed()
    {
        LocalExecutor? before = LocalExecutor.Default;
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), SetAsDefault = true });
        try
        {
            LocalExecutor.Default.Should().BeSameAs(pool[0]);
        }
        finally
        {
            await pool.DisposeAsync();
        }

        LocalExecutor.Default.Should().BeSameAs(before);
    }
}
