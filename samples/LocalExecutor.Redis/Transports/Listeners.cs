using System;
using System.Net;
using System.Net.Sockets;

namespace ThreadPerCore.Redis.Transports;

/// <summary>Listening sockets: plain, or several on one port with <c>SO_REUSEPORT</c> (Linux), so the kernel spreads
/// incoming connections over one accept queue per core.</summary>
internal static class Listeners
{
    private const int Backlog = 1024;

    /// <summary>True where several sockets may listen on one port with the kernel balancing between them.</summary>
    public static bool CanSharePort => OperatingSystem.IsLinux();

    /// <summary>Binds and listens on <paramref name="endpoint"/>; with <paramref name="sharePort"/>, sets
    /// <c>SO_REUSEPORT</c> first so that more sockets can listen on the same port.</summary>
    public static Socket Listen(IPEndPoint endpoint, bool sharePort)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (sharePort)
            {
                const int SolSocket = 1;  // Linux <sys/socket.h>
                const int SoReusePort = 15;
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            socket.Bind(endpoint);
            socket.Listen(Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
