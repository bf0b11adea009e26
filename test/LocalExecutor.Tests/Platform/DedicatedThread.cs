using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ThreadPerCore.Tests.Platform;

/// <summary>
/// Runs code on a brand-new OS thread and waits for it, so that pinning never touches a thread-pool or test-runner
/// thread that other tests reuse.
/// </summary>
internal static class DedicatedThread
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static T Run<T>(Func<T> body)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = body();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        })
        {
            IsBackground = true,
            Name = "platform-test",
        };
        thread.Start();
        if (!thread.Join(Timeout))
        {
            throw new TimeoutException($"The dedicated test thread did not finish within {Timeout}.");
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return result;
    }
}
