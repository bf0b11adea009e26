namespace ThreadPerCore;

/// <summary>
/// What an executor does with an exception that nothing awaits: thrown by a posted callback, by an <c>async void</c>
/// method, or by a callback queued with <see cref="LocalExecutor.Post(System.Action)"/>. Exceptions of tasks are not
/// such exceptions: they travel to whoever awaits the task.
/// </summary>
public enum UnhandledExceptionPolicy
{
    /// <summary>Raise <see cref="LocalExecutor.UnhandledException"/> and keep running.</summary>
    Continue,

    /// <summary>Raise <see cref="LocalExecutor.UnhandledException"/>, then shut the executor down; its
    /// <see cref="LocalExecutor.Completion"/> faults with the exception.</summary>
    StopExecutor,
}
