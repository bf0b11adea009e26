using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading.Tasks;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>One server per transport with a StackExchange.Redis client each, shared by the tests of the "Servers"
/// collection (which use their own keys, so they do not see each other's).</summary>
public sealed class ServersFixture : IAsyncLifetime
{
    private readonly Dictionary<RedisTransport, (RedisServer Server, ConnectionMultiplexer Client)> _running = [];

    public ConcurrentQueue<string> Log { get; } = new();

    public RedisServer Server(RedisTransport transport) => _running[transport].Server;

    public ConnectionMultiplexer Client(RedisTransport transport) => _running[transport].Client;

    public IDatabase Db(RedisTransport transport) => Client(transport).GetDatabase();

    public async Task InitializeAsync()
    {
        foreach (RedisTransport transport in TestServer.All)
        {
            RedisServer server = await TestServer.StartAsync(transport, log: Log);
            _running[transport] = (server, await TestServer.ConnectAsync(server));
        }
    }

    public async Task DisposeAsync()
    {
        foreach ((RedisTransport transport, (RedisServer server, ConnectionMultiplexer client)) in _running)
        {
            await client.DisposeAsync();
            await server.StopAsync().Within($"the {transport} server to stop");
        }
    }

    /// <summary>A key no other test uses.</summary>
    public static string Key(string name) => $"{name}:{Guid.NewGuid():N}";
}

[CollectionDefinition("Servers")]
public sealed class ServersCollectionDefinition : ICollectionFixture<ServersFixture>
{
}
