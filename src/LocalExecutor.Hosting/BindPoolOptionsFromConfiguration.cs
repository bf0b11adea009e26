using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ThreadPerCore.Hosting;

/// <summary>Binds the pool's options from a configuration section when the host has configuration. A key the options do
/// not have (a typo such as <c>"Placment"</c>) is an error, not silently ignored.</summary>
internal sealed class BindPoolOptionsFromConfiguration(IServiceProvider services, string section) : IConfigureOptions<LocalExecutorPoolOptions>
{
    public void Configure(LocalExecutorPoolOptions options)
    {
        if (services.GetService<IConfiguration>() is { } configuration)
        {
            configuration.GetSection(section).Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
    }
}
