namespace ThreadPerCore.AspNetCore;

/// <summary>
/// The core a connection belongs to, on connections of the LocalExecutor transport:
/// <c>HttpContext.Features.Get&lt;ILocalExecutorConnectionFeature&gt;()</c>. Code that runs on that core
/// (<see cref="LocalExecutor.IsOwnerThread"/>) may touch the core's own data without locks.
/// </summary>
public interface ILocalExecutorConnectionFeature
{
    /// <summary>The executor that accepted the connection and runs its socket operations.</summary>
    LocalExecutor Executor { get; }

    /// <summary>The executor's index in the transport's pool (0 to <see cref="LocalExecutorPool.Count"/> - 1): the
    /// shard of per-core data this connection's requests may use.</summary>
    int Core { get; }
}
