using System;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ThreadPerCore;
using ThreadPerCore.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="LocalExecutorPool"/> that the Generic Host starts and stops.</summary>
public static class LocalExecutorServiceCollectionExtensions
{
    /// <summary>The configuration section the pool's options are bound from: <c>"LocalExecutor"</c>.</summary>
    public const string ConfigurationSectionName = "LocalExecutor";

    /// <summary>
    /// Adds a <see cref="LocalExecutorPool"/> to the host: its <see cref="LocalExecutorPoolOptions"/> are bound from the
    /// configuration section <c>"LocalExecutor"</c> (when the host has configuration), then <paramref name="configure"/>
    /// runs, and the result is validated when the host starts. The pool starts, all or nothing, before any hosted
    /// service's <c>StartAsync</c>, and drains after every hosted service's <c>StopAsync</c>, within the host's
    /// shutdown timeout. Resolve the pool as <see cref="LocalExecutorPool"/>, its executors as
    /// <c>IReadOnlyList&lt;LocalExecutor&gt;</c> or one of them as a keyed <see cref="LocalExecutor"/> whose key is the
    /// shard number (<c>[FromKeyedServices(2)] LocalExecutor shard2</c>). Unhandled exceptions, the start and the stop
    /// are logged under the category <c>ThreadPerCore.LocalExecutorPool</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets options in code, over what the configuration says; null for none.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddLocalExecutorPool(this IServiceCollection services, Action<LocalExecutorPoolOptions>? configure = null) =>
        services.AddLocalExecutorPool(ConfigurationSectionName, configure);

    /// <summary>Adds a <see cref="LocalExecutorPool"/> whose options are bound from the configuration section
    /// <paramref name="configurationSection"/> (see <see cref="AddLocalExecutorPool(IServiceCollection, Action{LocalExecutorPoolOptions}?)"/>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configurationSection">The path of the configuration section, such as <c>"Shards:Pool"</c>.</param>
    /// <param name="configure">Sets options in code, over what the configuration says; null for none.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configurationSection"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="configurationSection"/> is empty.</exception>
    public static IServiceCollection AddLocalExecutorPool(
        this IServiceCollection services, string configurationSection, Action<LocalExecutorPoolOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(configurationSection);

        // Configuration first, code second: what the code sets wins.
        services.AddSingleton<IConfigureOptions<LocalExecutorPoolOptions>>(
            provider => new BindPoolOptionsFromConfiguration(provider, configurationSection));
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddOptions<LocalExecutorPoolOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalExecutorPoolOptions>, LocalExecutorPoolOptionsValidator>(
            _ => new LocalExecutorPoolOptionsValidator(configurationSection)));

        // Added once, however often the pool is configured.
        services.TryAddSingleton((PoolFactory)(static options => new LocalExecutorPool(options)));
        services.TryAddSingleton<LocalExecutorPoolService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LocalExecutorPoolService>(
            static provider => provider.GetRequiredService<LocalExecutorPoolService>()));
        services.TryAddSingleton(static provider => provider.GetRequiredService<LocalExecutorPoolService>().Pool);
        services.TryAddSingleton<System.Collections.Generic.IReadOnlyList<LocalExecutor>>(
            static provider => provider.GetRequiredService<LocalExecutorPool>().Executors);
        services.TryAddKeyedSingleton(KeyedService.AnyKey, static (provider, key) => ShardByKey(provider, key));
        return services;
    }

    private static LocalExecutor ShardByKey(IServiceProvider provider, object? key)
    {
        if (key is not int shard)
        {
            throw new ArgumentException(
                $"A keyed LocalExecutor is resolved by its shard number, an int from 0 to the pool's count - 1; the key was {key ?? "null"} ({key?.GetType().Name ?? "no type"}).",
                nameof(key));
        }

        return provider.GetRequiredService<LocalExecutorPool>()[shard];
    }
}
