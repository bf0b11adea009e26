using System;
using System.Net;

namespace ThreadPerCore.Redis.Hosting;

/// <summary>How to start a <see cref="RedisServer"/>.</summary>
public sealed class RedisServerOptions
{
    /// <summary>The default port (Redis's 6379 plus one, so both can run side by side).</summary>
    public const int DefaultPort = 6380;

    /// <summary>The TCP port; 0 for one the system picks (see <see cref="RedisServer.EndPoint"/>).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>The address to listen on; loopback unless told otherwise.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.Loopback;

    /// <summary>How many cores (executors, and shards); null for every CPU the process may use.</summary>
    public int? Cores { get; set; }

    /// <summary>The transport; <see cref="RedisTransport.Auto"/> (the reactor where the executors have one, else .NET
    /// sockets) unless told otherwise.</summary>
    public RedisTransport Transport { get; set; } = RedisTransport.Auto;

    /// <summary>Whether the executors get their reactor (<see cref="LocalExecutorPoolOptions.EnableReactor"/>). Off, the
    /// server runs as on a platform without one: <see cref="RedisTransport.Auto"/> serves on .NET sockets and
    /// <see cref="RedisTransport.Reactor"/> refuses to start. Ignored on the thread pool.</summary>
    public bool EnableReactor { get; set; } = true;

    /// <summary>Where the executors run; null for one pinned executor per core (<see cref="PoolPlacement.OnePerCpu"/>
    /// when every CPU is used, else <see cref="PoolPlacement.Spread"/>). Tests pass <see cref="PoolPlacement.Unbound"/>.</summary>
    public PoolPlacement? Placement { get; set; }

    /// <summary>The longest bulk string a request may carry (Redis's <c>proto-max-bulk-len</c>, 512 MB).</summary>
    public long MaxBulkLength { get; set; } = 512L * 1024 * 1024;

    /// <summary>How long a graceful stop lets connections finish before closing them.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of key deadlines and expiry timers; null for each executor's own (or the system's on the
    /// thread pool). Tests pass a fake to expire keys deterministically.</summary>
    public TimeProvider? Clock { get; set; }

    /// <summary>Where notable events go (protocol errors, failed accepts); null for nowhere.</summary>
    public Action<string>? Log { get; set; }
}
