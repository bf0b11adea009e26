using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace ThreadPerCore.IO;

/// <summary>
/// A connection's <see cref="IDuplexPipe"/>: two pipes scheduled on the connection's executor and two loops on the
/// executor that move bytes between them and the socket (the receive loop fills <see cref="Input"/>, the send loop
/// drains <see cref="Output"/>). Everything runs on the core; the pipes' segments and the loops' awaitables are
/// reused, so a steady connection allocates nothing.
/// </summary>
internal sealed class ConnectionPipe : IDuplexPipe
{
    private readonly LocalConnection _connection;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly int _minimumReceive;
    private readonly bool _waitForData;
    private readonly Task _sendLoop;
    private Action? _closeWhenSent;

    public ConnectionPipe(LocalConnection connection, ConnectionPipeOptions options)
    {
        options.Validate();
        _connection = connection;
        _minimumReceive = options.MinimumReceiveSize;
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        var scheduler = new LocalPipeScheduler(LocalExecutor.CurrentQueueOrDefault(connection.Executor));
        MemoryPool<byte> pool = options.Pool ?? DefaultPool(connection);
        Pool = pool;
        _input = new Pipe(new PipeOptions(pool, scheduler, scheduler, options.InputPauseThreshold, options.InputResumeThreshold, options.MinimumReceiveSize, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pool, scheduler, scheduler, options.OutputPauseThreshold, options.OutputResumeThreshold, options.MinimumReceiveSize, useSynchronizationContext: false));

        // Plain async methods on the executor: at shutdown their continuations still run (raw tasks would be
        // cancelled), so the pipes always complete and the application's awaits always end.
        _ = ReceiveLoopAsync();
        _sendLoop = SendLoopAsync();
    }

    /// <summary>The pool the pipes' buffers come from.</summary>
    public MemoryPool<byte> Pool { get; }

    /// <summary>The pool a connection's pipes use when their options name none: the core's own on the reactor.</summary>
    public static MemoryPool<byte> DefaultPool(LocalConnection connection) =>
        connection.IsReactorDriven ? connection.Executor.Reactor!.MemoryPool : MemoryPool<byte>.Shared;

    /// <summary>Completes when everything the application wrote was sent (or sending failed).</summary>
    public Task Sent => _sendLoop;

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    /// <summary>A graceful close: no more input is taken, the output is completed and sent to the end, and then
    /// <paramref name="close"/> closes the socket. At once when the output was already sent.</summary>
    public void CloseWhenSent(Action close)
    {
        if (_sendLoop.IsCompleted)
        {
            close();
            return;
        }

        _closeWhenSent = close;
        try
        {
            _connection.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Receive); // the receive loop reads its end
        }
        catch (SocketException)
        {
            // The peer already reset the connection; the loops are ending anyway.
        }

        _output.Writer.Complete();
    }

    /// <summary>The connection is being closed: wake whichever loop waits on a pipe so both end.</summary>
    public void OnConnectionClosing()
    {
        _input.Writer.CancelPendingFlush();
        _output.Reader.CancelPendingRead();
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (_waitForData)
                {
                    await _connection.WaitForDataAsync();
                }

                Memory<byte> memory = writer.GetMemory(_minimumReceive);
                int received = await _connection.ReceiveCoreAsync(memory);
                if (received == 0)
                {
                    _connection.SignalEnded(); // the peer finished sending
                    break;
                }

                writer.Advance(received);
                FlushResult flushed = await writer.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break; // the application stopped reading, or the connection is closing
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            error = e is ObjectDisposedException && _connection.IsClosed ? null : e;
            _connection.SignalEnded(); // reset by the peer, or closed here
        }

        await writer.CompleteAsync(error);
    }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    break; // the connection is closing
                }

                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    await _connection.SendCoreAsync(segment);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    if (!_connection.IsClosed && _closeWhenSent is null)
                    {
                        _connection.Socket.Shutdown(SocketShutdown.Send); // the application is done writing
                    }

                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            error = e;
        }

        await reader.CompleteAsync(error);
        if (error is not null)
        {
            _connection.SignalEnded();

            // The peer cannot take more: stop filling the input too, the application learns it from both sides.
            _input.Writer.CancelPendingFlush();
        }

        _closeWhenSent?.Invoke();
    }
}
