using System;

namespace ThreadPerCore;

/// <summary>
/// Reported through <see cref="LocalExecutor.UnhandledException"/> for a <see cref="LocalTask"/> that faulted and that
/// nothing awaited: a detached task (<see cref="LocalTask.Detach"/>) at once, another when it was collected unobserved
/// or when its executor shut down. <see cref="Exception.InnerException"/> is the task's exception.
/// </summary>
public sealed class UnobservedLocalTaskException : Exception
{
    /// <summary>Creates the report of an unobserved task failure.</summary>
    /// <param name="executorName">The executor the task ran on.</param>
    /// <param name="task">What the task was (its async method or delegate).</param>
    /// <param name="innerException">The task's exception.</param>
    public UnobservedLocalTaskException(string executorName, string task, Exception innerException)
        : base($"A task that nothing awaits ({task}, on executor '{executorName}') failed: {innerException.GetType().Name}: {innerException.Message}", innerException)
    {
        Task = task;
    }

    /// <summary>Creates the exception.</summary>
    public UnobservedLocalTaskException()
        : this("A task that nothing awaits failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public UnobservedLocalTaskException(string message)
        : base(message)
    {
        Task = string.Empty;
    }

    /// <summary>Creates the exception with a message and the task's exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The task's exception.</param>
    public UnobservedLocalTaskException(string message, Exception innerException)
        : base(message, innerException)
    {
        Task = string.Empty;
    }

    /// <summary>What the task was: <c>Namespace.Type.Method</c> of its async method or delegate.</summary>
    public string Task { get; }
}
