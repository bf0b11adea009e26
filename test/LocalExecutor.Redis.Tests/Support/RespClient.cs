using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Redis.Tests;

/// <summary>A minimal RESP2 client over one raw socket, for tests that need many real connections and explicit
/// pipelining (StackExchange.Redis multiplexes everything over one socket). Replies come back as strings:
/// "+OK" "-ERR ..." ":5" "$value" "$(nil)" or "*[a,b]".</summary>
internal sealed class RespClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RespClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RespClient> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint).Within($"connecting to {endpoint}");
        return new RespClient(socket);
    }

    public static byte[] Encode(params string[] args)
    {
        var text = new StringBuilder();
        text.Append('*').Append(args.Length).Append("\r\n");
        foreach (string arg in args)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Sends every command in one write, then reads one reply per command, in order.</summary>
    public async Task<string[]> PipelineAsync(IReadOnlyList<string[]> commands)
    {
        var all = new List<byte>();
        foreach (string[] command in commands)
        {
            all.AddRange(Encode(command));
        }

        await _stream.WriteAsync(all.ToArray());
        var replies = new string[commands.Count];
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        for (int i = 0; i < replies.Length; i++)
        {
            replies[i] = await ReadReplyAsync(timeout.Token);
        }

        return replies;
    }

    public async Task<string> CallAsync(params string[] command) => (await PipelineAsync([command]))[0];

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    private async Task<string> ReadReplyAsync(CancellationToken timeout)
    {
        string line = await ReadLineAsync(timeout);
        switch (line[0])
        {
            case '+' or '-' or ':':
                return line;
            case '$':
                int length = int.Parse(line.AsSpan(1), provider: System.Globalization.CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return "$(nil)";
                }

                byte[] bytes = await ReadBytesAsync(length + 2, timeout);
                return "$" + Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                int count = int.Parse(line.AsSpan(1), provider: System.Globalization.CultureInfo.InvariantCulture);
                var items = new string[Math.Max(count, 0)];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = await ReadReplyAsync(timeout);
                }

                return "*[" + string.Join(",", items) + "]";
            default:
                throw new InvalidDataException($"Not a RESP reply: '{line}'.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken timeout)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline > _start && _buffer[newline - 1] == (byte)'\r')
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, newline - 1 - _start);
                _start = newline + 1;
                return line;
            }

            await FillAsync(timeout);
        }
    }

    private async Task<byte[]> ReadBytesAsync(int count, CancellationToken timeout)
    {
        var result = new byte[count];
        int copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync(timeout);
            }

            int n = Math.Min(count - copied, _end - _start);
            Array.Copy(_buffer, _start, result, copied, n);
            _start += n;
            copied += n;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken timeout)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("A reply line is longer than the test client's buffer.");
        }

        int n;
        try
        {
            n = await _stream.ReadAsync(_buffer.AsMemory(_end), timeout);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No reply within {Bounded.Timeout.TotalSeconds} s.");
        }

        if (n == 0)
        {
            throw new EndOfStreamException("The server closed the connection.");
        }

        _end += n;
    }
}
