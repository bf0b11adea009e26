using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Redis.Sharding;

namespace ThreadPerCore.Redis.Transports;

/// <summary>The thread-pool twin: one listener, an accept loop on the thread pool, each connection served by
/// whichever pool threads its completions land on, against lock-guarded shards. What a .NET server usually is.</summary>
internal sealed class ThreadPoolTransport : IServerTransport
{
    private readonly Socket _listener;
    private readonly Task _acceptLoop;

    private ThreadPoolTransport(Socket listener, IShardAccess shards, ConnectionTracker tracker)
    {
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, shards, tracker));
    }

    /// <inheritdoc />
    public IPEndPoint EndPoint { get; }

    /// <summary>Binds the listener and starts accepting.</summary>
    public static ThreadPoolTransport Start(IShardAccess shards, IPEndPoint endpoint, ConnectionTracker tracker) =>
        new(Listeners.Listen(endpoint, sharePort: false), shards, tracker);

    /// <inheritdoc />
    public async Task StopAcceptingAsync()
    {
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
    }

    private static async Task AcceptLoopAsync(Socket listener, IShardAccess shards, ConnectionTracker tracker)
    {
        CancellationToken stopping = tracker.Stopping;
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException exception)
            {
                shards.Server.Log?.Invoke($"accept failed: {exception.SocketErrorCode} {exception.Message}");
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), stopping).ConfigureAwait(false); // do not spin on a full descriptor table
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            tracker.Serve(client, socket => SocketConnection.ServeAsync(socket, shards, stopping));
        }
    }
}
