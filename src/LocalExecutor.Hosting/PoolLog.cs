using System;
using Microsoft.Extensions.Logging;

namespace ThreadPerCore.Hosting;

/// <summary>The pool's log messages, with stable event ids (category <c>ThreadPerCore.LocalExecutorPool</c>).</summary>
internal static partial class PoolLog
{
    [LoggerMessage(1, LogLevel.Information, "LocalExecutor pool started in {ElapsedMilliseconds} ms: {Count} executors, placement {Placement}: {Shards}.")]
    public static partial void Started(ILogger logger, long elapsedMilliseconds, int count, PoolPlacement placement, string shards);

    [LoggerMessage(2, LogLevel.Critical, "LocalExecutor pool failed to start; the host does not start.")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "LocalExecutor pool stopping: {Count} executors drain their work.")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(4, LogLevel.Information, "LocalExecutor pool stopped in {ElapsedMilliseconds} ms: {Report}.")]
    public static partial void Stopped(ILogger logger, long elapsedMilliseconds, ShutdownReport report);

    [LoggerMessage(5, LogLevel.Warning, "LocalExecutor pool did not stop within the host's shutdown timeout ({ElapsedMilliseconds} ms); still running: {Running}. Raise HostOptions.ShutdownTimeout, or find the work that does not return.")]
    public static partial void StopTimedOut(ILogger logger, long elapsedMilliseconds, string running);

    [LoggerMessage(6, LogLevel.Error, "LocalExecutor pool failed to stop.")]
    public static partial void StopFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Error, "Unhandled exception on executor {Executor} (shard {Shard}).")]
    public static partial void UnhandledException(ILogger logger, string executor, int shard, Exception exception);

    [LoggerMessage(8, LogLevel.Critical, "Executor {Executor} (shard {Shard}) stopped on an unhandled exception while the host runs; stopping the host.")]
    public static partial void ShardFailed(ILogger logger, string executor, int shard, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "LocalExecutor pool stopped with {Count} tasks cancelled at the drain deadline: {Types}.")]
    public static partial void CancelledAtStop(ILogger logger, int count, string types);

    [LoggerMessage(10, LogLevel.Warning, "Late work on executor {Executor} (shard {Shard}) after it stopped: {Kind} {Description}; {Handling}.")]
    public static partial void LateWork(ILogger logger, string executor, int shard, LateWorkKind kind, string description, string handling);

    [LoggerMessage(11, LogLevel.Warning, "Executor {Executor} (shard {Shard}) stalled: {Report}")]
    public static partial void Stall(ILogger logger, string executor, int shard, string report);
}
