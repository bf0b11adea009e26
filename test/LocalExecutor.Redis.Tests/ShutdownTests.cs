using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using FluentAssertions;
using StackExchange.Redis;
using ThreadPerCore.Redis.Hosting;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>Graceful stop: no new connections, connections finish what they received, stragglers are closed at the
/// deadline; and the exe's Ctrl+C.</summary>
public sealed class ShutdownTests
{
    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Stop_closes_idle_connections_and_refuses_new_ones(RedisTransport transport)
    {
        RedisServer server = await TestServer.StartAsync(transport);
        await using RawClient idle = await RawClient.ConnectAsync(server.EndPoint);
        await idle.SendAsync("PING\r\n");
        (await idle.ReadAsync("+PONG\r\n")).Should().Be("+PONG\r\n");
        ConnectionMultiplexer redis = await TestServer.ConnectAsync(server);
        (await redis.GetDatabase().StringSetAsync("k", "v")).Should().BeTrue();

        await server.StopAsync().Within("a graceful stop with idle connections");
        (await idle.ReadToCloseAsync()).Should().BeEmpty("an idle connection is closed without a word");
        server.OpenConnections.Should().Be(0);
        var refused = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await FluentActions.Awaiting(async () => await refused.ConnectAsync(server.EndPoint)).Should().ThrowAsync<SocketException>();
        refused.Dispose();
        await redis.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Stop_lets_a_connection_finish_the_command_it_is_receiving(RedisTransport transport)
    {
        RedisServer server = await TestServer.StartAsync(transport, shutdownTimeout: TimeSpan.FromSeconds(15));
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync("PING\r\n*2\r\n$3\r\nGET\r\n"); // one segment: once PONG is back, the server holds the half command
        (await client.ReadAsync("+PONG\r\n")).Should().Be("+PONG\r\n");
        Task stopping = server.StopAsync(); // signals the connections before it returns
        await client.SendAsync("$4\r\nnone\r\n");
        (await client.ReadToCloseAsync()).Should().Be("$-1\r\n", "the command begun before the stop is answered, then the connection closes");
        await stopping.Within("the stop");
    }

    [Theory]
    [MemberData(nameof(TestServer.Transports), MemberType = typeof(TestServer))]
    public async Task Stop_closes_a_connection_still_mid_command_at_the_deadline(RedisTransport transport)
    {
        TimeSpan deadline = TimeSpan.FromMilliseconds(300);
        RedisServer server = await TestServer.StartAsync(transport, shutdownTimeout: deadline);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync("PING\r\n*2\r\n$3\r\nGET\r\n$4\r\nno"); // one segment: once PONG is back, the server holds the half command
        (await client.ReadAsync("+PONG\r\n")).Should().Be("+PONG\r\n");
        var watch = Stopwatch.StartNew();
        await server.StopAsync().Within("a stop with a connection that never finishes its command");
        watch.Elapsed.Should().BeGreaterThanOrEqualTo(deadline - TimeSpan.FromMilliseconds(20), "the connection was given the whole deadline");
        (await client.ReadToCloseAsync()).Should().BeEmpty();
        server.OpenConnections.Should().Be(0);
    }

    [LinuxFact]
    public Task The_exe_prints_port_cores_and_transport_and_stops_on_sigterm() => ExeStopsGracefullyOn("TERM");

    [LinuxFact]
    public Task The_exe_prints_port_cores_and_transport_and_stops_on_sigint() => ExeStopsGracefullyOn("INT");

    /// <summary>
    /// Starts the exe, serves a command through it, sends it <c>SIG</c><paramref name="signal"/>, and expects its graceful
    /// stop: both lines of it, and exit code 0. A process started with <c>SIGINT</c> ignored (a background job of a shell,
    /// which a fresh-clone CI run once was) keeps ignoring it, as .NET keeps an inherited ignore for <c>SIGINT</c>: there the
    /// test checks that the <c>SIGINT</c> does nothing, then stops the exe with <c>SIGTERM</c>.
    /// </summary>
    private static async Task ExeStopsGracefullyOn(string signal)
    {
        string dll = System.IO.Path.Combine(AppContext.BaseDirectory, "LocalExecutor.Redis.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" --port 0 --cores 1 --transport sockets --verbose")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        Task<string>? rest = null;
        try
        {
            string line = (await process.StandardOutput.ReadLineAsync().Within("the exe's start line"))!;
            line.Should().MatchRegex(@"listening on 127\.0\.0\.1:\d+ \(port \d+\), cores 1, transport sockets");
            rest = process.StandardOutput.ReadToEndAsync();
            int port = int.Parse(Regex.Match(line, @"\(port (\d+)\)").Groups[1].Value);
            await using (RespClient client = await RespClient.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)))
            {
                (await client.CallAsync("SET", "k", "v")).Should().Be("+OK");
                (await client.CallAsync("GET", "k")).Should().Be("$v");
            }

            bool ignored = signal == "INT" && IgnoresSigInt(process.Id); // read before the signal: a stopped exe has no /proc
            await SendAsync(signal, process.Id);
            if (ignored)
            {
                // Ignored by the kernel, not queued: the exe never sees it, and the SIGTERM after it stops the exe.
                process.HasExited.Should().BeFalse("an ignored SIGINT does not stop the exe");
                await SendAsync("TERM", process.Id);
            }

            try
            {
                await process.WaitForExitAsync().Within($"the exe to stop after SIG{signal}");
            }
            catch (TimeoutException timeout)
            {
                // Say how far the stop got: what the exe printed (its stop lines, and with --verbose its failures).
                process.Kill();
                throw new TimeoutException($"{timeout.Message} Its output after the start line: '{await rest}'; its errors: '{await errors}'.", timeout);
            }

            process.ExitCode.Should().Be(0, $"the exe printed to stderr: '{await errors}'");
            (await rest).Should().Contain("Stopping").And.Contain("Stopped after");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static async Task SendAsync(string signal, int pid)
    {
        using Process kill = Process.Start("kill", $"-{signal} {pid}");
        await kill.WaitForExitAsync().Within($"kill -{signal}");
        kill.ExitCode.Should().Be(0, $"kill -{signal} {pid} must reach the exe");
    }

    /// <summary>Whether process <paramref name="pid"/> ignores <c>SIGINT</c> (bit 1 of <c>SigIgn</c> in its /proc status).</summary>
    private static bool IgnoresSigInt(int pid)
    {
        foreach (string line in System.IO.File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
            {
                ulong mask = ulong.Parse(line.AsSpan("SigIgn:".Length).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                return (mask & 0b10) != 0;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no SigIgn line.");
    }
}
