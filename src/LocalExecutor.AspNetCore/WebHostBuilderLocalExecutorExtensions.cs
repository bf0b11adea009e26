using System;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ThreadPerCore.AspNetCore;

/// <summary>Switches Kestrel to the LocalExecutor transport.</summary>
public static class WebHostBuilderLocalExecutorExtensions
{
    /// <summary>
    /// Kestrel listens on every executor of a <see cref="LocalExecutorPool"/> (the one registered in the service
    /// provider, else its own), and each HTTP/1.1 connection is read, written and processed on the executor that
    /// accepted it: the request pipeline, the endpoint and its awaits run on that pinned thread.
    /// </summary>
    /// <param name="builder">The web host builder (<c>builder.WebHost</c>).</param>
    /// <param name="configure">Transport options; null for the defaults.</param>
    /// <remarks>IP endpoints only; Unix sockets and named pipes stay on Kestrel's Sockets transport. The per-core hop is
    /// added to every endpoint through <see cref="KestrelServerOptions.ConfigureEndpointDefaults"/>: an app that sets its
    /// own endpoint defaults later replaces it, and should call
    /// <see cref="ListenOptionsLocalExecutorExtensions.UseLocalExecutorCores"/> in them (the transport logs a warning
    /// when a connection was processed off its core).</remarks>
    public static IWebHostBuilder UseLocalExecutorTransport(this IWebHostBuilder builder, Action<LocalExecutorTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices(services =>
        {
            services.AddOptions<LocalExecutorTransportOptions>();
            if (configure is not null)
            {
                services.Configure(configure);
            }

            services.TryAddSingleton<LocalExecutorTransportFactory>();

            // Kestrel tries its transports last registered first: this one before the Sockets transport UseKestrel added.
            services.AddSingleton<IConnectionListenerFactory>(static provider => provider.GetRequiredService<LocalExecutorTransportFactory>());

            // First of all of Kestrel's option setups, so endpoints the app declares in ConfigureKestrel (before or after
            // this call) get the hop: Listen applies the endpoint defaults when it is called.
            services.Insert(0, ServiceDescriptor.Transient<IConfigureOptions<KestrelServerOptions>, KestrelEndpointsOnCores>());
        });
    }

    /// <summary>Adds the per-core hop to every endpoint Kestrel binds.</summary>
    private sealed class KestrelEndpointsOnCores : IConfigureOptions<KestrelServerOptions>
    {
        public void Configure(KestrelServerOptions options) =>
            options.ConfigureEndpointDefaults(static listenOptions => listenOptions.UseLocalExecutorCores());
    }
}
