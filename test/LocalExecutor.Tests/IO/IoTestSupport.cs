using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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

    /// <summary>The descriptors this process has open now (Linux), each as its number and what it refers to
    /// (<c>7 -> socket:[81234]</c>, <c>9 -> anon_inode:[eventpoll]</c>).</summary>
    public static HashSet<string> OpenDescriptors()
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (string descriptor in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                // No target: the descriptor was closed or reused between the listing and the look, so it is not one that stays open.
                if (new FileInfo(descriptor).LinkTarget is { Length: > 0 } target)
                {
                    open.Add($"{Path.GetFileName(descriptor)} -> {target}");
                }
            }
            catch (IOException)
            {
                // Closed between the listing and the look, reported as an error rather than as no target.
            }
        }

        return open;
    }

    /// <summary>The descriptors open now that were not open in <paramref name="before"/>: what a run left open. Unlike a
    /// count, this does not move when the finalizer meanwhile closes a socket or an eventfd some other test dropped.</summary>
    public static string[] OpenedSince(HashSet<string> before) => [.. OpenDescriptors().Where(descriptor => !before.Contains(descriptor)).Order(StringComparer.Ordinal)];

    /// <summary>Epoll instances this process has open now (Linux): one per executor reactor, and the runtime's own
    /// socket engine's.</summary>
    public static int OpenEpollInstances() => OpenDescriptors().Count(descriptor => descriptor.EndsWith("anon_inode:[eventpoll]", StringComparison.Ordinal));
}
