using System.Net;
using System.Threading.Tasks;

namespace ThreadPerCore.Redis.Transports;

/// <summary>Accepts connections and hands each to <see cref="RespConnection.ServeAsync"/> (through the server's
/// <see cref="ConnectionTracker"/>). A transport is a thin adapter: it owns listeners, not protocol.</summary>
internal interface IServerTransport
{
    /// <summary>Where it listens (the actual port when 0 was asked for).</summary>
    IPEndPoint EndPoint { get; }

    /// <summary>Closes the listeners; completes when every accept loop ended.</summary>
    Task StopAcceptingAsync();
}
