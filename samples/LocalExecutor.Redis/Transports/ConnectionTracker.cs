using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Redis.Transports;

/// <summary>
/// The open connections of a server, for a graceful stop: signal them (they answer what they received and close),
/// wait up to a deadline, then close the sockets of those still open and wait for them to end. Touched once per
/// connection (open, close), never per request.
/// </summary>
internal sealed class ConnectionTracker : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IDisposable, Task> _open = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Signalled when the server stops: accept loops end, connections finish up.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>How many connections are open.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Starts serving <paramref name="connection"/> with <paramref name="serve"/> and tracks it until it ends;
    /// disposing the connection (a socket, or a reactor connection) is how a stop closes it at the deadline.</summary>
    public void Serve<TConnection>(TConnection connection, Func<TConnection, Task> serve)
        where TConnection : class, IDisposable
    {
        IDisposable socket = connection;
        Task serving = serve(connection);
        lock (_lock)
        {
            if (!serving.IsCompleted)
            {
                _open[socket] = serving;
            }
        }

        if (!serving.IsCompleted)
        {
            _ = serving.ContinueWith(
                static (_, state) =>
                {
                    var (tracker, s) = ((ConnectionTracker, IDisposable))state!;
                    lock (tracker._lock)
                    {
                        tracker._open.Remove(s);
                    }
                },
                (this, socket),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>Signals the stop.</summary>
    public void SignalStop() => _stopping.Cancel();

    /// <summary>Waits up to <paramref name="deadline"/> for the connections to end, then closes the rest and waits
    /// (bounded) for them.</summary>
    /// <returns>How many connections had to be closed.</returns>
    public async Task<int> DrainAsync(TimeSpan deadline)
    {
        SignalStop();
        Task[] open = Snapshot().Tasks;
        try
        {
            await Task.WhenAll(open).WaitAsync(deadline).ConfigureAwait(false);
            return 0;
        }
        catch (TimeoutException)
        {
        }
        catch (Exception) when (AllCompleted(open))
        {
            return 0; // a connection that failed (a reset) is still a connection that ended
        }

        (Task[] tasks, IDisposable[] sockets) = Snapshot();
        foreach (IDisposable socket in sockets)
        {
            socket.Dispose(); // its pending read or write fails, and its loop ends
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            int stuck = Array.FindAll(tasks, t => !t.IsCompleted).Length;
            throw new InvalidOperationException($"{stuck} connection(s) did not end within 5 s after their sockets were closed.");
        }
        catch (Exception) when (AllCompleted(tasks))
        {
        }

        return sockets.Length;
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    private static bool AllCompleted(Task[] tasks) => Array.TrueForAll(tasks, t => t.IsCompleted);

    private (Task[] Tasks, IDisposable[] Connections) Snapshot()
    {
        lock (_lock)
        {
            var tasks = new Task[_open.Count];
            var sockets = new IDisposable[_open.Count];
            int i = 0;
            foreach (KeyValuePair<IDisposable, Task> pair in _open)
            {
                sockets[i] = pair.Key;
                tasks[i++] = pair.Value;
            }

            return (tasks, sockets);
        }
    }
}
