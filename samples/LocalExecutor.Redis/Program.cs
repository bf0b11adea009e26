using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Redis.Hosting;

namespace ThreadPerCore.Redis;

/// <summary>
/// <c>dotnet run -c Release --project samples/LocalExecutor.Redis -- [--port 6380] [--cores N] [--transport auto|reactor|sockets]
/// [--threadpool] [--bind ADDRESS] [--shutdown-timeout SECONDS] [--verbose]</c>. Ctrl+C or SIGTERM stops it gracefully.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (!CommandLine.TryParse(args, out RedisServerOptions? options, out string? error))
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(CommandLine.Usage).ConfigureAwait(false);
            return error is null ? 0 : 2;
        }

        RedisServer server;
        try
        {
            server = await RedisServer.StartAsync(options!).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NotSupportedException or ArgumentException or System.Net.Sockets.SocketException or PoolStartException)
        {
            await Console.Error.WriteLineAsync($"LocalExecutor.Redis could not start: {exception.Message}").ConfigureAwait(false);
            return 1;
        }

        using var stop = new SemaphoreSlim(0);
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            if (Interlocked.Increment(ref signals) == 1)
            {
                context.Cancel = true; // the first Ctrl+C stops gracefully; a second one ends the process at once
                stop.Release();
            }
        }

        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        Console.WriteLine(
            $"LocalExecutor.Redis listening on {server.EndPoint} (port {server.EndPoint.Port}), cores {server.Context.Cores}, " +
            $"transport {server.Context.Transport}{FallbackNote(options!, server)}, pid {Environment.ProcessId}. Ctrl+C stops.");

        await stop.WaitAsync().ConfigureAwait(false);
        Console.WriteLine($"Stopping: no new connections; {server.OpenConnections} open connection(s) get up to {options!.ShutdownTimeout.TotalSeconds:0.#} s to finish.");
        await server.StopAsync().ConfigureAwait(false);
        Console.WriteLine($"Stopped after {server.Context.Stats.CommandsProcessed} commands.");
        return 0;
    }

    /// <summary>Why the default transport is not the reactor, when it is not.</summary>
    private static string FallbackNote(RedisServerOptions options, RedisServer server)
    {
        if (options.Transport == RedisTransport.Auto && server.Transport == RedisTransport.Sockets)
        {
            foreach (LocalExecutor executor in server.Context.Executors)
            {
                if (!executor.HasReactor)
                {
                    return $" (no reactor: {executor.ReactorUnavailableReason})";
                }
            }
        }

        return "";
    }
}
