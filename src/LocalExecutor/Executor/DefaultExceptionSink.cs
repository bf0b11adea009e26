using System;
using System.Diagnostics;

namespace ThreadPerCore;

/// <summary>
/// Where an unhandled exception goes when no <see cref="LocalExecutor.UnhandledException"/> handler is attached: standard
/// error, which every process has, and <see cref="Trace"/>, which an app may route to its own listeners. .NET would crash
/// the process for an <c>async void</c> exception with no context to catch it; an executor has a policy instead
/// (<see cref="UnhandledExceptionPolicy"/>), so the exception is written and the policy applies, never dropped silently.
/// </summary>
internal static class DefaultExceptionSink
{
    public static void Write(LocalExecutor executor, Exception exception, UnhandledExceptionOrigin origin)
    {
        string text = $"LocalExecutor '{executor.Name}': unhandled exception ({Describe(origin)}), and no UnhandledException handler is attached: {exception}";
        try
        {
            Console.Error.WriteLine(text);
        }
        catch (Exception)
        {
            // A closed or broken standard error must not take the executor down; Trace still gets it.
        }

        Trace.TraceError(text);
    }

    private static string Describe(UnhandledExceptionOrigin origin) => origin switch
    {
        UnhandledExceptionOrigin.UnobservedTask => "a task that nothing awaits faulted",
        UnhandledExceptionOrigin.LateWork => "work that arrived after the executor stopped",
        _ => "posted work, a timer callback or an async void method threw",
    };
}
