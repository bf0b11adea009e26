using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using ThreadPerCore.IO;

namespace ThreadPerCore.AspNetCore;

/// <summary>
/// One accepted connection as Kestrel sees it: the <see cref="LocalConnection"/>'s pipes (driven by the core's
/// reactor, continuations on the core) and the features Kestrel's Sockets transport provides: id, transport, items,
/// memory pool, lifetime (<see cref="ConnectionClosed"/>, <see cref="Abort"/>), endpoints and the socket.
/// </summary>
internal sealed class LocalExecutorConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionSocketFeature, ILocalExecutorConnectionFeature
{
    private readonly LocalConnection _connection;
    private readonly LocalExecutorConnectionListener _listener;
    private readonly FeatureCollection _features = new(8);
    private string? _id;
    private IDictionary<object, object?>? _items;
    private CancellationToken? _closedOverride;
    private int _disposed;

    /// <summary>Wraps <paramref name="connection"/>, taking its pipes; runs on the connection's executor.</summary>
    public LocalExecutorConnection(LocalConnection connection, int core, ConnectionPipeOptions pipeOptions, LocalExecutorConnectionListener listener)
    {
        _connection = connection;
        _listener = listener;
        Core = core;
        LocalEndPoint = connection.LocalEndPoint;
        RemoteEndPoint = connection.RemoteEndPoint;
        Transport = connection.GetPipe(pipeOptions);
        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
        _features.Set<IConnectionSocketFeature>(this);
        _features.Set<ILocalExecutorConnectionFeature>(this);
    }

    /// <inheritdoc />
    public LocalExecutor Executor => _connection.Executor;

    /// <inheritdoc />
    public int Core { get; }

    /// <summary>True once the connection's processing was moved onto (or started on) its core.</summary>
    public bool RanOnCore { get; private set; }

    /// <inheritdoc />
    public override string ConnectionId
    {
        get => _id ??= ConnectionIds.Next();
        set => _id = value;
    }

    /// <inheritdoc />
    public override IFeatureCollection Features => _features;

    /// <inheritdoc />
    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    /// <inheritdoc />
    public override IDuplexPipe Transport { get; set; }

    /// <inheritdoc />
    public MemoryPool<byte> MemoryPool => _connection.MemoryPool;

    /// <inheritdoc />
    public override CancellationToken ConnectionClosed
    {
        get => _closedOverride ?? _connection.Ended;
        set => _closedOverride = value;
    }

    /// <inheritdoc />
    public override EndPoint? LocalEndPoint { get; set; }

    /// <inheritdoc />
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <inheritdoc />
    public Socket Socket => _connection.Socket;

    /// <summary>
    /// Ends the connection at once, as Kestrel's Sockets transport does: the socket is shut down in both directions, so
    /// the client reads what had reached the kernel and then an end of stream (a FIN, not a reset); output the pipe had
    /// not sent yet is dropped (its next send fails). Any thread.
    /// </summary>
    /// <remarks>The shutdown wakes the connection's loops on its core: the receive side reads its end (which fires
    /// <see cref="ConnectionClosed"/>) and the send side stops, which ends Kestrel's pipeline; the descriptor is closed
    /// when Kestrel disposes the connection (<see cref="DisposeAsync"/>). As on Sockets, a client whose bytes the server
    /// never read still gets a reset from the close: that is the kernel's rule for unread data.</remarks>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        try
        {
            _connection.Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Reset by the peer or never connected: there is nothing left to end gracefully.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    void IConnectionLifetimeFeature.Abort() => Abort(new ConnectionAbortedException("The connection was aborted by the application via IConnectionLifetimeFeature.Abort()."));

    /// <summary>Runs <paramref name="next"/> (the rest of Kestrel's connection pipeline) on the connection's executor
    /// and completes when it has.</summary>
    public Task RunOnCoreAsync(ConnectionDelegate next)
    {
        RanOnCore = true;
        if (!_listener.ProcessOnCore || Executor.IsOwnerThread)
        {
            return next(this);
        }

        return HopAsync(next);
    }

    /// <summary>Called by Kestrel once its connection pipeline ended: completes the pipes, then closes the socket
    /// gracefully (what was written is sent first) and waits until it is closed.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Transport.Input.CompleteAsync().ConfigureAwait(false);
            await Transport.Output.CompleteAsync().ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
            _listener.OnConnectionDisposed(this);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HopAsync(ConnectionDelegate next) =>
        await Executor.Spawn(static state => state.Next(state.Connection), (Next: next, Connection: this));
}
