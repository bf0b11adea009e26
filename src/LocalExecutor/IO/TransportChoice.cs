using System;

namespace ThreadPerCore.IO;

/// <summary>Turns a requested <see cref="SocketTransport"/> into the reactor to use (or none, for .NET sockets).</summary>
internal static class TransportChoice
{
    /// <summary>The current executor, or a clear exception naming what needed one.</summary>
    public static LocalExecutor RequireExecutor(string what)
    {
        if (LocalExecutor.Current is not { } executor)
        {
            IoErrors.ThrowNotOnExecutor(what);
            return null!;
        }

        return executor;
    }

    /// <returns>The executor's reactor, or null when the transport is .NET's sockets.</returns>
    /// <exception cref="PlatformNotSupportedException">The reactor was required and the executor has none.</exception>
    public static Reactor? Resolve(LocalExecutor executor, SocketTransport transport) => transport switch
    {
        SocketTransport.Auto => executor.Reactor,
        SocketTransport.DotNetSockets => null,
        SocketTransport.Reactor => executor.Reactor ?? throw new PlatformNotSupportedException(
            $"Executor '{executor.Name}' has no reactor ({executor.ReactorUnavailableReason}); use SocketTransport.Auto or DotNetSockets."),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "Not a SocketTransport value."),
    };
}
