using System;

namespace ThreadPerCore;

/// <summary>An exception that nothing awaits, raised on the executor thread by <see cref="LocalExecutor.UnhandledException"/>.</summary>
public sealed class UnhandledExecutorExceptionEventArgs : EventArgs
{
    internal UnhandledExecutorExceptionEventArgs(LocalExecutor executor, Exception exception)
    {
        Executor = executor;
        Exception = exception;
    }

    /// <summary>The executor whose work threw.</summary>
    public LocalExecutor Executor { get; }

    /// <summary>The exception.</summary>
    public Exception Exception { get; }
}
