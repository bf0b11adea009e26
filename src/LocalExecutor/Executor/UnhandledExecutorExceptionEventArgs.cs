using System;

namespace ThreadPerCore;

/// <summary>An exception that nothing awaits, raised by <see cref="LocalExecutor.UnhandledException"/>.</summary>
public sealed class UnhandledExecutorExceptionEventArgs : EventArgs
{
    internal UnhandledExecutorExceptionEventArgs(LocalExecutor executor, Exception exception, UnhandledExceptionOrigin origin)
    {
        Executor = executor;
        Exception = exception;
        Origin = origin;
    }

    /// <summary>The executor whose work threw.</summary>
    public LocalExecutor Executor { get; }

    /// <summary>The exception.</summary>
    public Exception Exception { get; }

    /// <summary>Where it came from: work on the executor, a task nothing awaits, or late work.</summary>
    public UnhandledExceptionOrigin Origin { get; }
}
