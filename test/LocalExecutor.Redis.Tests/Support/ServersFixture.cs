using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>One server per transport with a StackExchange.Redis client each, shared by the tests of the "Servers"
/// collection (which use their own keys, so they do not see each other's).</summary>
public sealed class ServersFixture : IAsyncLifetime
{
    private RedisServer? _sockets;
    private RedisServer? _threadPool;
    private ConnectionMultiplexer? _socketsClient;
    private ConnectionMultiplexer? _threadPoolClient;

    public ConcurrentQueue<string> Log { get; } = new();

    public RedisServer Server(RedisTransport transport) => (transport == RedisTransport.Sockets ? _sockets : _threadPool)!;

    public ConnectionMultiplexer Client(RedisTransport transport) => (transport == RedisTransport.Sockets ? _socketsClient : _threadPoolClient)!;

    public IDatabase Db(RedisTransport transport) => Client(transport).GetDatabase();

    public async Task InitializeAsync()
    {
        _sockets = await TestServer.StartAsync(RedisTransport.Sockets, log: Log);
        _threadPool = await TestServer.StartAsync(RedisTransport.ThreadPool, log: Log);
        _socketsClient = await TestServer.ConnectAsync(_sockets);
        _threadPoolClient = await TestServer.ConnectAsync(_threadPool);
    }

    public async Task DisposeAsync()
    {
        if (_socketsClient is not null)
        {
            await _socketsClient.DisposeAsync();
        }

        if (_threadPoolClient is not null)
        {
            await _threadPoolClient.DisposeAsync();
        }

        if (_sockets is not null)
        {
            await _sockets.StopAsync().Within("the sockets server to stop");
        }

        if (_threadPool is not null)
        {
            await _threadPool.StopAsync().Within("the thread-pool server to stop");
        }
    }

    /// <summary>A key no other test uses.</summary>
    public static string Key(string name) => $"{name}:{Guid.NewGuid():N}";
}

[CollectionDefinition("Servers")]
public sealed class ServersCollectionDefinition : ICollectionFixture<ServersFixture>
{
}
