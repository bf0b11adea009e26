using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.AspNetCore.Tests.Support;

/// <summary>HTTP/1.1 by hand over a socket, for what HttpClient will not do (pipelining, half requests, silence).</summary>
internal sealed class RawHttp : IDisposable
{
    private readonly Socket _socket;
    private readonly StringBuilder _received = new();

    private RawHttp(Socket socket)
    {
        _socket = socket;
    }

    public Socket Socket => _socket;

    public string Received => _received.ToString();

    /// <summary>Bytes received so far.</summary>
    public long ReceivedBytes { get; private set; }

    /// <summary>Connects to <paramref name="endPoint"/>; <paramref name="configure"/> sets socket options before the
    /// connect (a receive buffer size must be set before it to bound the window).</summary>
    public static async Task<RawHttp> ConnectAsync(EndPoint endPoint, Action<Socket>? configure = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        configure?.Invoke(socket);
        await socket.ConnectAsync(endPoint);
        return new RawHttp(socket);
    }

    public async Task SendAsync(string text) => await _socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

    /// <summary>Reads until <paramref name="done"/> holds for what was received, or the peer closes; fails after
    /// <paramref name="timeout"/> with what arrived so far.</summary>
    /// <returns>False when the peer closed (or reset) first.</returns>
    public async Task<bool> ReadUntilAsync(Func<string, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        while (!done(_received.ToString()))
        {
            int read;
            try
            {
                read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Nothing more after {timeout}; received so far:\n{_received}");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return false;
            }

            if (read == 0)
            {
                return false;
            }

            ReceivedBytes += read;
            _received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return true;
    }

    /// <summary>Reads until the peer ends the connection and says how: an orderly end of stream (its FIN, after
    /// everything it sent) or a reset. Fails after <paramref name="timeout"/> with what arrived so far.</summary>
    public async Task<ConnectionEnd> ReadToEndAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The peer did not end the connection within {timeout}; received so far:\n{_received}");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return ConnectionEnd.Reset;
            }

            if (read == 0)
            {
                return ConnectionEnd.Closed;
            }

            ReceivedBytes += read;
            _received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    /// <summary>Counts occurrences of <paramref name="value"/> in <paramref name="text"/>.</summary>
    public static int Count(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>How a peer ended a connection.</summary>
internal enum ConnectionEnd
{
    /// <summary>An end of stream (FIN): everything the peer sent arrived first.</summary>
    Closed,

    /// <summary>A reset (RST): what the peer had not yet delivered is lost.</summary>
    Reset,
}
