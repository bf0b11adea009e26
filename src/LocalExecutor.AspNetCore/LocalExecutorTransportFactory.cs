using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ThreadPerCore.AspNetCore;

/// <summary>
/// Kestrel's transport over a <see cref="LocalExecutorPool"/>: each IP endpoint Kestrel binds becomes one listener per
/// executor (see <see cref="WebHostBuilderLocalExecutorExtensions.UseLocalExecutorTransport"/>). Other endpoints (Unix
/// sockets, named pipes, handles) are left to the next transport Kestrel has, its Sockets transport by default.
/// </summary>
/// <remarks>The pool is the one registered in the service provider (<see cref="LocalExecutorPool"/> as a singleton),
/// else one the factory starts at the first bind from <see cref="LocalExecutorTransportOptions.Pool"/> and stops when
/// the host is disposed. Resolve this type from the service provider to reach <see cref="Pool"/>.</remarks>
public sealed class LocalExecutorTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly LocalExecutorTransportOptions _options;
    private readonly ILogger _logger;
    private readonly IServiceProvider _services;
    private readonly Lock _gate = new();
    private LocalExecutorPool? _pool;
    private bool _ownsPool;
    private bool _disposed;

    /// <summary>Created by the service provider.</summary>
    public LocalExecutorTransportFactory(IOptions<LocalExecutorTransportOptions> options, ILoggerFactory loggerFactory, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(services);
        _options = options.Value;
        _logger = loggerFactory.CreateLogger("ThreadPerCore.AspNetCore.LocalExecutorTransport");
        _services = services;
    }

    /// <summary>The executors connections run on: the registered pool, or the one this factory started (started on
    /// first use).</summary>
    /// <exception cref="ObjectDisposedException">The factory was disposed.</exception>
    public LocalExecutorPool Pool
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_pool is null)
                {
                    _pool = _services.GetService<LocalExecutorPool>();
                    if (_pool is null)
                    {
                        _pool = new LocalExecutorPool(_options.Pool);
                        _ownsPool = true;
                    }
                }

                return _pool;
            }
        }
    }

    /// <summary>True for IP endpoints, the ones this transport binds.</summary>
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    /// <summary>Binds <paramref name="endpoint"/> on every executor of <see cref="Pool"/>.</summary>
    /// <exception cref="NotSupportedException"><paramref name="endpoint"/> is not an <see cref="IPEndPoint"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    /// <exception cref="AddressInUseException">The address is in use.</exception>
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"The LocalExecutor transport binds IP endpoints only, not {endpoint.GetType().Name} '{endpoint}'.");
        }

        Validate(_options);
        cancellationToken.ThrowIfCancellationRequested();
        return await LocalExecutorConnectionListener.BindAsync(Pool.Executors, ip, _options, _logger).ConfigureAwait(false);
    }

    /// <summary>Stops the pool when the factory started it; a registered pool belongs to whoever registered it.</summary>
    public async ValueTask DisposeAsync()
    {
        LocalExecutorPool? owned;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            owned = _ownsPool ? _pool : null;
        }

        if (owned is not null)
        {
            await owned.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void Validate(LocalExecutorTransportOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Backlog, 1, "options.Backlog");
        if (options.MaxReadBufferSize is long read)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(read, 1, "options.MaxReadBufferSize");
        }

        if (options.MaxWriteBufferSize is long write)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(write, 1, "options.MaxWriteBufferSize");
        }
    }
}
