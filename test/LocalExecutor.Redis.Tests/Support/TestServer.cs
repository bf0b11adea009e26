using System;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Tasks;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>Starts servers the way the tests need them: loopback, port 0, two shards (unpinned executors: the test
/// machine is shared), a short shutdown deadline, and a log the test can read.</summary>
internal static class TestServer
{
    /// <summary>Every transport this system runs: the reactor (Linux), .NET sockets on the executors, the thread pool.</summary>
    public static TheoryData<RedisTransport> Transports
    {
        get
        {
            var transports = new TheoryData<RedisTransport>();
            foreach (RedisTransport transport in All)
            {
                transports.Add(transport);
            }

            return transports;
        }
    }

    public static RedisTransport[] All => OperatingSystem.IsLinux()
        ? [RedisTransport.Reactor, RedisTransport.Sockets, RedisTransport.ThreadPool]
        : [RedisTransport.Sockets, RedisTransport.ThreadPool];

    public static Task<RedisServer> StartAsync(RedisTransport transport, TimeProvider? clock = null, int cores = 2, ConcurrentQueue<string>? log = null, TimeSpan? shutdownTimeout = null) =>
        RedisServer.StartAsync(new RedisServerOptions
        {
            Port = 0,
            BindAddress = IPAddress.Loopback,
            Cores = cores,
            Transport = transport,
            Placement = PoolPlacement.Unbound(cores),
            ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(2),
            Clock = clock,
            Log = log is null ? null : log.Enqueue,
        });

    public static ConfigurationOptions ClientOptions(RedisServer server)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { server.EndPoint },
            AbortOnConnectFail = true,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AllowAdmin = true,
        };
        return options;
    }

    public static Task<ConnectionMultiplexer> ConnectAsync(RedisServer server) =>
        ConnectionMultiplexer.ConnectAsync(ClientOptions(server)).Within($"StackExchange.Redis connecting to {server.Transport}");
}
