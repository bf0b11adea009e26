using System;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ThreadPerCore.AspNetCore;

/// <summary>The connection middleware that moves a connection's processing onto its core.</summary>
public static class ListenOptionsLocalExecutorExtensions
{
    /// <summary>
    /// Runs the rest of this endpoint's connection pipeline (TLS, Kestrel's HTTP loop, the request pipeline, the
    /// endpoint) on the executor that accepted the connection, instead of the thread-pool thread Kestrel dispatched it
    /// to. <see cref="WebHostBuilderLocalExecutorExtensions.UseLocalExecutorTransport"/> adds it to every endpoint
    /// through <see cref="KestrelServerOptions.ConfigureEndpointDefaults"/>; call it yourself, first, in an endpoint's
    /// configuration when you replace the endpoint defaults. Adding it twice costs nothing: on the core it calls
    /// the next middleware directly. Connections of other transports pass through unchanged.
    /// </summary>
    /// <remarks>Costs one spawn onto the executor per connection (not per request).</remarks>
    public static ListenOptions UseLocalExecutorCores(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        listenOptions.Use(static next => context =>
            context is LocalExecutorConnection connection ? connection.RunOnCoreAsync(next) : next(context));
        return listenOptions;
    }
}
