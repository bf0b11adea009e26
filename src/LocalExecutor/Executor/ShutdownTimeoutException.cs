using System;

namespace ThreadPerCore;

/// <summary>
/// <see cref="LocalExecutor.Dispose"/> or <see cref="LocalExecutor.DisposeAsync"/> gave up waiting for the executor's
/// thread to exit after <see cref="LocalExecutorOptions.ShutdownTimeout"/>: the thread is blocked in, or busy with, a work
/// item that does not return. The message names the executor and says what its thread is doing.
/// </summary>
/// <remarks>The stop stays requested: the executor finishes stopping (and its <see cref="LocalExecutor.Completion"/>
/// completes) when its thread returns to the loop; disposing again waits again.</remarks>
public sealed class ShutdownTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for an executor that did not stop in time.</summary>
    /// <param name="executorName">The executor's name.</param>
    /// <param name="timeout">How long disposing waited.</param>
    /// <param name="threadActivity">What the executor's thread is doing.</param>
    public ShutdownTimeoutException(string executorName, TimeSpan timeout, string threadActivity)
        : base($"The executor '{executorName}' did not stop within {timeout.TotalSeconds:0.###} s: its thread is {threadActivity}. "
            + "The stop stays requested: the executor stops when its thread returns to the loop, and disposing again waits again.")
    {
        ExecutorName = executorName;
        Timeout = timeout;
        ThreadActivity = threadActivity;
    }

    /// <summary>Creates the exception.</summary>
    public ShutdownTimeoutException()
        : this("An executor did not stop in time.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ShutdownTimeoutException(string message)
        : base(message)
    {
        ExecutorName = string.Empty;
        ThreadActivity = string.Empty;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ShutdownTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExecutorName = string.Empty;
        ThreadActivity = string.Empty;
    }

    /// <summary>The name of the executor that did not stop.</summary>
    public string ExecutorName { get; }

    /// <summary>How long disposing waited.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>What the executor's thread was doing when disposing gave up: blocked in a call on another executor
    /// (which), running a work item that did not return, or a shutdown step.</summary>
    public string ThreadActivity { get; }
}
