using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>A <see cref="LocalSynchronizationContext.Send"/> from another thread: the callback, and the caller blocked on it.</summary>
internal sealed class SendRequest : IDisposable
{
    public static readonly Action<object?> RunCallback = static state => ((SendRequest)state!).Run();

    private readonly SendOrPostCallback _callback;
    private readonly object? _state;
    private readonly ManualResetEventSlim _done = new(initialState: false);
    private ExceptionDispatchInfo? _exception;
    private int _finished;

    public SendRequest(SendOrPostCallback callback, object? state)
    {
        _callback = callback;
        _state = state;
    }

    /// <summary>Runs on the executor thread; never lets the callback's exception reach the loop.</summary>
    public void Run()
    {
        try
        {
            _callback(_state);
        }
        catch (Exception exception)
        {
            _exception = ExceptionDispatchInfo.Capture(exception);
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>The executor stopped before running it: the caller gets <see cref="ObjectDisposedException"/>.</summary>
    public void Abandon(string executorName)
    {
        _exception = ExceptionDispatchInfo.Capture(new ObjectDisposedException(executorName, "The executor shut down before the sent callback could run."));
        Finish();
    }

    /// <summary>Blocks until the executor ran or abandoned the callback; rethrows its exception unwrapped.</summary>
    public void WaitAndRethrow()
    {
        _done.Wait();
        _exception?.Throw();
    }

    public void Dispose() => _done.Dispose();

    private void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _done.Set();
        }
    }
}
