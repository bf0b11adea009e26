using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.IO.Native;

namespace ThreadPerCore.IO;

/// <summary>
/// A connected stream socket driven by its executor's reactor: non-blocking, registered once for read and write
/// readiness (edge-triggered). Every operation tries the system call first and suspends only when the kernel says
/// it would block; the reactor's next edge completes it on the owner thread. Readiness is remembered per direction:
/// a short read or write leaves nothing to do until the next edge, which saves the system call that would only
/// answer "would block".
/// </summary>
internal sealed class ReactorSocket : ReactorSource
{
    private readonly LocalExecutor _executor;
    private readonly Reactor _reactor;
    private readonly IoOperation _receive;
    private readonly IoOperation _send;
    private Memory<byte> _receiveBuffer;
    private ReadOnlyMemory<byte> _sendRemaining;
    private bool _readReady = true;
    private bool _writeReady = true;
    private bool _peerHungUp;
    private bool _readinessOnly;
    private bool _connecting;
    private bool _closed;

    // Statistics, owner thread (read through LocalConnection by the "try first, then wait" tests): receive system
    // calls made, and receives that suspended for the next read edge.
    internal long ReceiveCalls;
    internal long ReceiveWaits;

    public ReactorSocket(Socket socket, LocalExecutor executor, Reactor reactor)
    {
        Socket = socket;
        _executor = executor;
        _reactor = reactor;
        _receive = new IoOperation(executor, "receive");
        _send = new IoOperation(executor, "send");
        socket.Blocking = false; // the socket's own synchronous calls now go straight to the kernel, never to its engine
        Descriptor = socket.Handle;
        reactor.Register(this);
    }

    public Socket Socket { get; }

    public override nint Descriptor { get; }

    public override ReadinessInterest Interest => ReadinessInterest.ReadWrite;

    public bool IsReceiving => _receive.IsBusy;

    /// <summary>False once a receive found the socket drained, until the next read edge.</summary>
    public bool IsReadReady => _readReady;

    public bool IsSending => _send.IsBusy;

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_receive.IsBusy)
        {
            IoErrors.ThrowConcurrent("receive");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (_readReady && TryReceive(buffer.Span, out int received, out SocketError error))
        {
            return error == SocketError.Success ? new ValueTask<int>(received) : ValueTask.FromException<int>(IoErrors.Socket(error));
        }

        ReceiveWaits++;
        _receiveBuffer = buffer;
        return new ValueTask<int>(_receive, _receive.Start(cancellationToken));
    }

    /// <summary>Waits until the socket is readable again (the next read edge), without a buffer and without a system
    /// call: a pipe holds no memory for an idle connection. At once when readiness is not known to be gone.</summary>
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        if (_receive.IsBusy)
        {
            IoErrors.ThrowConcurrent("receive");
        }

        if (_readReady)
        {
            return default;
        }

        ReceiveWaits++;
        _readinessOnly = true;
        return new ValueTask(_receive, _receive.Start(cancellationToken));
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_send.IsBusy)
        {
            IoErrors.ThrowConcurrent("send");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (_writeReady && TrySendAll(ref buffer, out SocketError error))
        {
            return error == SocketError.Success ? default : ValueTask.FromException(IoErrors.Socket(error));
        }

        _sendRemaining = buffer;
        return new ValueTask(_send, _send.Start(cancellationToken));
    }

    /// <summary>Waits for a non-blocking connect to finish (the socket becomes writable) and reports its outcome.</summary>
    public ValueTask WaitConnectedAsync(CancellationToken cancellationToken)
    {
        _connecting = true;
        _writeReady = false;
        return new ValueTask(_send, _send.Start(cancellationToken));
    }

    public override void OnReadiness(uint events)
    {
        if ((events & (LinuxIo.EpollIn | LinuxIo.EpollRdHup | LinuxIo.EpollHup | LinuxIo.EpollErr)) != 0)
        {
            _readReady = true;
            _peerHungUp |= (events & (LinuxIo.EpollRdHup | LinuxIo.EpollHup | LinuxIo.EpollErr)) != 0;
            if (_readinessOnly && _receive.IsWaiting)
            {
                _readinessOnly = false;
                if (!_receive.CancelIfRequested())
                {
                    _receive.Complete(0);
                }
            }
            else if (_receive.IsWaiting && !_receive.CancelIfRequested() && TryReceive(_receiveBuffer.Span, out int received, out SocketError error))
            {
                _receiveBuffer = default;
                if (error == SocketError.Success)
                {
                    _receive.Complete(received);
                }
                else
                {
                    _receive.Fail(IoErrors.Socket(error));
                }
            }
        }

        if ((events & (LinuxIo.EpollOut | LinuxIo.EpollHup | LinuxIo.EpollErr)) != 0)
        {
            _writeReady = true;
            if (_send.IsWaiting && !_send.CancelIfRequested())
            {
                if (_connecting)
                {
                    FinishConnect();
                }
                else if (TrySendAll(ref _sendRemaining, out SocketError error))
                {
                    _sendRemaining = default;
                    if (error == SocketError.Success)
                    {
                        _send.Complete(0);
                    }
                    else
                    {
                        _send.Fail(IoErrors.Socket(error));
                    }
                }
            }
        }
    }

    /// <summary>Closes the descriptor (owner thread); a waiting operation ends with <paramref name="error"/>.</summary>
    public void Close(Exception error, bool abort)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _readinessOnly = false;
        _reactor.Unregister(this);
        _receive.FailIfWaiting(error);
        _send.FailIfWaiting(error);
        _receiveBuffer = default;
        _sendRemaining = default;
        if (abort)
        {
            try
            {
                Socket.LingerState = new LingerOption(true, 0); // close with a reset, not a graceful FIN
            }
            catch (SocketException)
            {
                // Already reset by the peer: closing is all that is left.
            }
        }

        Socket.Dispose();
    }

    public override void OnExecutorStopped() =>
        Close(new ObjectDisposedException(_executor.Name, $"The executor '{_executor.Name}' stopped; its sockets are closed."), abort: false);

    /// <returns>False if the call would block; true with the outcome otherwise (data, end of stream, or an error).</returns>
    private bool TryReceive(Span<byte> buffer, out int received, out SocketError error)
    {
        ReceiveCalls++;
        if (buffer.IsEmpty)
        {
            // A zero-byte receive waits until data is there, without taking any (Kestrel's "wait for data first").
            Span<byte> probe = stackalloc byte[1];
            Socket.Receive(probe, SocketFlags.Peek, out error);
            received = 0;
        }
        else
        {
            received = Socket.Receive(buffer, SocketFlags.None, out error);
        }

        if (error == SocketError.WouldBlock)
        {
            _readReady = false;
            return false;
        }

        if (error == SocketError.Success && received != 0 && received < buffer.Length)
        {
            // A short read drained the socket: the next data brings a new edge. Not so for the end of the stream, whose
            // single edge may already have been seen: once the peer hung up, reads stay ready.
            _readReady = _peerHungUp;
        }

        return true;
    }

    /// <returns>False if the rest must wait for writability; true when all was sent or the send failed.</returns>
    private bool TrySendAll(ref ReadOnlyMemory<byte> remaining, out SocketError error)
    {
        while (!remaining.IsEmpty)
        {
            int sent = Socket.Send(remaining.Span, SocketFlags.None, out error);
            if (error == SocketError.WouldBlock)
            {
                _writeReady = false;
                return false;
            }

            if (error != SocketError.Success)
            {
                return true;
            }

            bool shortWrite = sent < remaining.Length;
            remaining = remaining[sent..];
            if (shortWrite)
            {
                _writeReady = false; // the send buffer is full: wait for the edge that says it drained
                return false;
            }
        }

        error = SocketError.Success;
        return true;
    }

    private void FinishConnect()
    {
        _connecting = false;
        int code = (int)Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        if (code == 0)
        {
            _ = Socket.Connected; // lets the Socket record the finished non-blocking connect (endpoints, state)
            _send.Complete(0);
        }
        else
        {
            _send.Fail(new SocketException(code));
        }
    }
}
