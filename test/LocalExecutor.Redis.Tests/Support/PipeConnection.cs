using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Redis.Sharding;
using ThreadPerCore.Redis.Transports;

namespace ThreadPerCore.Redis.Tests;

/// <summary>
/// <see cref="RespConnection.ServeAsync"/> over in-memory pipes whose continuations run inline, no socket: when
/// <see cref="SendAsync"/> returns, the server has consumed what was sent and answered what it could (a command
/// needing another core answers once its hop is back). So a frame split anywhere is seen split by the server.
/// </summary>
internal sealed class PipeConnection
{
    private static readonly PipeOptions s_inline = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, useSynchronizationContext: false);

    private readonly Pipe _requests = new(s_inline);
    private readonly Pipe _replies = new(s_inline);

    private PipeConnection(IShardAccess shards, CancellationToken stopping)
    {
        Serving = RespConnection.ServeAsync(new DuplexPipe(_requests.Reader, _replies.Writer), shards, stopping);
    }

    /// <summary>The server's loop for this connection.</summary>
    public Task Serving { get; }

    public static PipeConnection Start(IShardAccess shards, CancellationToken stopping = default) => new(shards, stopping);

    public ValueTask<FlushResult> SendAsync(ReadOnlySpan<byte> bytes)
    {
        _requests.Writer.Write(bytes);
        return _requests.Writer.FlushAsync();
    }

    public ValueTask<FlushResult> SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>Ends the request stream, as a client closing its side.</summary>
    public ValueTask CloseAsync() => _requests.Writer.CompleteAsync();

    /// <summary>Takes whatever replies are there now, without waiting.</summary>
    public string TakeReplies()
    {
        if (!_replies.Reader.TryRead(out ReadResult result))
        {
            return "";
        }

        string text = Encoding.Latin1.GetString(result.Buffer.ToArray());
        _replies.Reader.AdvanceTo(result.Buffer.End);
        return text;
    }

    /// <summary>Waits until <paramref name="length"/> bytes of replies are there and takes them. Allocates nothing
    /// once warm (a pooled box, no context captured: replies complete on the connection's own thread), so the
    /// allocation tests measure the server alone.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(int length)
    {
        while (true)
        {
            ReadResult result = await _replies.Reader.ReadAsync().ConfigureAwait(false);
            if (result.Buffer.Length >= length || result.IsCompleted)
            {
                int got = (int)result.Buffer.Length;
                _replies.Reader.AdvanceTo(result.Buffer.End);
                return got;
            }

            _replies.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Reads every reply until the server completes its side.</summary>
    public async Task<string> ReadToEndAsync()
    {
        while (true)
        {
            ReadResult result = await _replies.Reader.ReadAsync().AsTask().Within("the server to close the connection");
            if (result.IsCompleted)
            {
                string text = Encoding.Latin1.GetString(result.Buffer.ToArray());
                _replies.Reader.AdvanceTo(result.Buffer.End);
                return text;
            }

            _replies.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
