using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Redis.Tests;

/// <summary>A plain TCP client for exact-bytes protocol tests: send bytes, expect exact bytes back, see the close.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private RawClient(Socket socket)
    {
        _socket = socket;
    }

    public static async Task<RawClient> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint).Within($"connecting to {endpoint}");
        return new RawClient(socket);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (failing on a close or after the bounded wait).</summary>
    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var result = new byte[count];
        int read = 0;
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        while (read < count)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(result.AsMemory(read), SocketFlags.None, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out after {Bounded.Timeout.TotalSeconds} s with {read} of {count} bytes: '{Show(result.AsSpan(0, read))}'.");
            }

            if (n == 0)
            {
                throw new EndOfStreamException($"The server closed after {read} of {count} bytes: '{Show(result.AsSpan(0, read))}'.");
            }

            read += n;
        }

        return result;
    }

    /// <summary>Reads the reply <paramref name="expected"/> and returns what came, to compare exactly.</summary>
    public async Task<string> ReadAsync(string expected) => Encoding.Latin1.GetString(await ReadExactlyAsync(Encoding.Latin1.GetByteCount(expected)));

    /// <summary>Reads until the server closes; returns what came before the close.</summary>
    public async Task<string> ReadToCloseAsync()
    {
        var all = new MemoryStream();
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        while (true)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_buffer, SocketFlags.None, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The server did not close within {Bounded.Timeout.TotalSeconds} s; it sent '{Show(all.ToArray())}'.");
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            all.Write(_buffer, 0, n);
        }

        return Encoding.Latin1.GetString(all.ToArray());
    }

    /// <summary>Closes abruptly: a reset instead of an orderly shutdown.</summary>
    public void Abort()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Show(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
