using System;
using System.Collections.Generic;

namespace ThreadPerCore.IO;

/// <summary>
/// The listeners and connections of one executor that run on .NET's asynchronous sockets rather than its reactor (no
/// reactor on this platform, or <see cref="SocketTransport.DotNetSockets"/>). The reactor closes the descriptors it
/// drives when the executor stops; these it never sees, so the executor closes them from here at the same two points:
/// the listeners when its drain begins (no new connections), the connections when the drain is over (their pending
/// operations fail with <see cref="System.ObjectDisposedException"/>). Without this, a stopped executor would leave
/// their sockets open and their operations pending for good.
/// </summary>
/// <remarks>A socket is added once, when it is created, and removed when it closes, which may happen on any thread:
/// a lock, off the hot path (.NET's socket engine costs far more per operation than this does per socket).</remarks>
internal sealed class DotNetSocketSet
{
    private readonly LocalExecutor _executor;
    private readonly object _gate = new();
    private HashSet<LocalListener>? _listeners;
    private HashSet<LocalConnection>? _connections;
    private bool _listenersClosed;
    private bool _closed;

    public DotNetSocketSet(LocalExecutor executor)
    {
        _executor = executor;
    }

    /// <summary>Tracks <paramref name="listener"/>, as <see cref="Reactor.Register"/> does its own.</summary>
    /// <exception cref="ObjectDisposedException">The executor stopped taking new connections (the caller closes the socket).</exception>
    public void Add(LocalListener listener)
    {
        lock (_gate)
        {
            if (_listenersClosed)
            {
                IoErrors.ThrowExecutorStopping(_executor);
            }

            (_listeners ??= []).Add(listener);
        }
    }

    /// <summary>Tracks <paramref name="connection"/>, as <see cref="Reactor.Register"/> does its own.</summary>
    /// <exception cref="ObjectDisposedException">The executor closed its sockets (the caller closes the socket).</exception>
    public void Add(LocalConnection connection)
    {
        lock (_gate)
        {
            if (_closed)
            {
                IoErrors.ThrowExecutorStopping(_executor);
            }

            (_connections ??= []).Add(connection);
        }
    }

    public void Remove(LocalListener listener)
    {
        lock (_gate)
        {
            _listeners?.Remove(listener);
        }
    }

    public void Remove(LocalConnection connection)
    {
        lock (_gate)
        {
            _connections?.Remove(connection);
        }
    }

    /// <summary>The drain begins: every listener closes (a pending accept fails), connections stay open.</summary>
    public void CloseListeners()
    {
        LocalListener[] listeners;
        lock (_gate)
        {
            _listenersClosed = true;
            listeners = _listeners is null ? [] : [.. _listeners];
            _listeners = null;
        }

        foreach (LocalListener listener in listeners)
        {
            try
            {
                listener.Dispose();
            }
            catch (Exception exception)
            {
                _executor.ReportUnhandled(exception); // one socket's failure to close must not keep the others open
            }
        }
    }

    /// <summary>The executor stops: listeners and connections close, and their pending operations fail.</summary>
    public void CloseAll()
    {
        CloseListeners();
        LocalConnection[] connections;
        lock (_gate)
        {
            _closed = true;
            connections = _connections is null ? [] : [.. _connections];
            _connections = null;
        }

        foreach (LocalConnection connection in connections)
        {
            try
            {
                connection.CloseForExecutorStop();
            }
            catch (Exception exception)
            {
                _executor.ReportUnhandled(exception);
            }
        }
    }
}
