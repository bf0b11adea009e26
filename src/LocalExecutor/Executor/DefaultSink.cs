using System;
using System.Diagnostics;

namespace ThreadPerCore;

/// <summary>
/// Where a failure or a stall goes when nobody listens: an unhandled exception with no
/// <see cref="LocalExecutor.UnhandledException"/> handler attached, a stall report with no <see cref="LocalExecutor.Stalled"/>
/// handler. Both are written to standard error, which every process has, and to <see cref="Trace"/>, which an app may
/// route to its own listeners. .NET would crash the process for an <c>async void</c> exception with no context to catch
/// it; an executor has a policy instead (<see cref="UnhandledExceptionPolicy"/>), so the exception is written and the
/// policy applies, never dropped silently. A stall is logged by default as Seastar logs "reactor stalled", within the
/// same rate limit as the event (<see cref="LocalExecutorOptions.StallReportsPerMinute"/>).
/// </summary>
internal static class DefaultSink
{
    public static void Write(LocalExecutor executor, Exception exception, UnhandledExceptionOrigin origin)
    {
        string text = $"LocalExecutor '{executor.Name}': unhandled exception ({Describe(origin)}), and no UnhandledException handler is attached: {exception}";
        WriteToStandardError(text);
        Trace.TraceError(text);
    }

    public static void WriteStall(ExecutorStalledEventArgs stall)
    {
        string text = $"LocalExecutor: {stall} No Stalled handler is attached.";
        WriteToStandardError(text);
        Trace.TraceWarning(text);
    }

    private static void WriteToStandardError(string text)
    {
        try
        {
            Console.Error.WriteLine(text);
        }
        catch (Exception)
        {
            // A closed or broken standard error must not take the executor (or a thread-pool thread) down; Trace still
            // gets it.
        }
    }

    private static string Describe(UnhandledExceptionOrigin origin) => origin switch
    {
        UnhandledExceptionOrigin.UnobservedTask => "a task that nothing awaits faulted",
        UnhandledExceptionOrigin.LateWork => "work that arrived after the executor stopped",
        _ => "posted work, a timer callback or an async void method threw",
    };
}
