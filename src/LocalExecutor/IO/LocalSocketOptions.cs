namespace ThreadPerCore.IO;

/// <summary>How <see cref="LocalConnection.ConnectAsync"/> creates a connection.</summary>
public sealed class LocalSocketOptions
{
    /// <summary>The engine that drives the connection.</summary>
    public SocketTransport Transport { get; set; } = SocketTransport.Auto;

    /// <summary>Disable Nagle's algorithm (<c>TCP_NODELAY</c>): small writes go out at once. True by default, as latency
    /// is what thread-per-core servers are for.</summary>
    public bool NoDelay { get; set; } = true;
}

/// <summary>How <see cref="LocalListener.Bind"/> listens and how it sets up the connections it accepts.</summary>
public sealed class LocalListenerOptions
{
    /// <summary>The engine that drives the listener and its connections.</summary>
    public SocketTransport Transport { get; set; } = SocketTransport.Auto;

    /// <summary>Let several listeners bind the same address (<c>SO_REUSEPORT</c>, Linux), so the kernel spreads incoming
    /// connections over the cores' accept queues. True by default. Ignored where the system has no such option.</summary>
    public bool ReusePort { get; set; } = true;

    /// <summary>The length of the kernel's queue of connections not yet accepted.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>Disable Nagle's algorithm on accepted connections. True by default.</summary>
    public bool NoDelay { get; set; } = true;

    internal LocalListenerOptions Clone() => (LocalListenerOptions)MemberwiseClone();
}
