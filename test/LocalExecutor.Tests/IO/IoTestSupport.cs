using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using ThreadPerCore.IO;

namespace ThreadPerCore.Tests.IO;

/// <summary>Executors, listeners and plain blocking clients for the I/O tests.</summary>
internal static class IoTestSupport
{
    public static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    /// <summary>An executor whose disposal cancels at once: these tests stop with connections still waiting, which a
    /// drain would serve until its deadline (the drain itself: <c>DrainTests</c>).</summary>
    public static LocalExecutor StartExecutor(string name, bool reactor = true) =>
        new(new LocalExecutorOptions { Name = name, EnableReactor = reactor, UnhandledExceptionPolicy = UnhandledExceptionPolicy.Continue, DrainTimeout = TimeSpan.Zero });

    /// <summary>Binds a listener on the executor and returns it with its port.</summary>
    public static async Task<LocalListener> ListenAsync(LocalExecutor executor, SocketTransport transport = SocketTransport.Auto) =>
        await executor.Spawn(() => LocalListener.Bind(AnyLoopbackPort, new LocalListenerOptions { Transport = transport })).Within("the listener to bind");

    /// <summary>A plain blocking client (the test thread's own socket, outside any executor).</summary>
    public static Socket Connect(EndPoint endPoint)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 30_000, SendTimeout = 30_000 };
        client.Connect(endPoint);
        return client;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (bounded by the socket's receive timeout).</summary>
    public static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = socket.Receive(buffer, read, count - read, SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"The server closed after {read} of {count} bytes.");
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>Descriptors this process has open now (Linux).</summary>
    public static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;
}
