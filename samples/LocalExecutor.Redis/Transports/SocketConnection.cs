using System;
using System.IO;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Redis.Sharding;

namespace ThreadPerCore.Redis.Transports;

/// <summary>Serves one accepted .NET <see cref="Socket"/>: pipes over a <see cref="NetworkStream"/>, the RESP loop, then
/// an orderly close. Used by both .NET-socket transports; where the awaits resume is the caller's context.</summary>
internal static class SocketConnection
{
    private static readonly StreamPipeReaderOptions s_readerOptions = new(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true);
    private static readonly StreamPipeWriterOptions s_writerOptions = new(minimumBufferSize: 16 * 1024, leaveOpen: true);

    /// <summary>Serves <paramref name="socket"/> until the connection ends; never faults (a reset or a broken pipe is
    /// an ordinary end of a connection, logged).</summary>
    public static async Task ServeAsync(Socket socket, IShardAccess shards, CancellationToken stopping)
    {
        try
        {
            socket.NoDelay = true;
            var stream = new NetworkStream(socket, ownsSocket: false);
            await using (stream.ConfigureAwait(true))
            {
                var pipe = new DuplexPipe(PipeReader.Create(stream, s_readerOptions), PipeWriter.Create(stream, s_writerOptions));
                await RespConnection.ServeAsync(pipe, shards, stopping).ConfigureAwait(true);
            }

            socket.Shutdown(SocketShutdown.Send); // FIN after the last reply
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
        {
            shards.Server.Log?.Invoke($"connection {socket.RemoteEndPointOrNull()} ended: {exception.Message}");
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static string RemoteEndPointOrNull(this Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString() ?? "?";
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return "?";
        }
    }
}
