using System;

namespace ThreadPerCore.IO;

/// <summary>How <see cref="LocalServer"/> listens and stops.</summary>
public sealed class LocalServerOptions
{
    /// <summary>The listeners' options (transport, <c>SO_REUSEPORT</c>, backlog, <c>TCP_NODELAY</c>).</summary>
    public LocalListenerOptions Listener { get; set; } = new();

    /// <summary>How long <see cref="LocalServer.DisposeAsync"/> lets open connections finish before closing them.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal LocalServerOptions Clone() => new() { Listener = Listener.Clone(), DrainTimeout = DrainTimeout };
}
