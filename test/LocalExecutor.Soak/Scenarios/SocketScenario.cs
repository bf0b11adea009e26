using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.IO;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>
/// Reactor sockets over loopback: a listener on A echoes every connection; clients on B connect, send payloads of
/// random sizes in random chunks, read the echo back and compare it byte for byte; some abort halfway. Every byte sent
/// on a connection that was not aborted comes back once, in order; every connection and handler ends.
/// </summary>
internal sealed class SocketScenario : IScenario
{
    public string Name => "sockets";

    public async Task RunAsync(SoakContext context)
    {
        LocalListener listener = await context.A.Spawn(() => LocalListener.Bind(new IPEndPoint(IPAddress.Loopback, 0))).AsTask().ConfigureAwait(false);
        Task server = context.A.Start(() => ServeAsync(context, listener)).AsTask();
        var random = new Random(context.Seed + 41);
        try
        {
            while (!context.Stop.IsCancellationRequested)
            {
                var clients = new Task[random.Next(1, 5)];
                for (int c = 0; c < clients.Length; c++)
                {
                    int seed = random.Next();
                    clients[c] = context.B.Start(() => ClientAsync(context, listener.LocalEndPoint, seed)).AsTask();
                    context.Tracker.Track(clients[c], "sockets client");
                }

                try
                {
                    await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    context.Ledger.Violation("sockets.hung", "echo clients did not finish within 60 s");
                    return;
                }
            }
        }
        finally
        {
            await context.A.Spawn(listener.Dispose).AsTask().ConfigureAwait(false);
            try
            {
                await server.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                context.Ledger.Violation("sockets.accept-loop-hung", "the accept loop did not end after its listener was closed");
            }
            catch (Exception)
            {
                // The accept loop ends with the listener's disposal.
            }
        }
    }

    private static async LocalTask ServeAsync(SoakContext context, LocalListener listener)
    {
        Counter accepted = context.Ledger.Counter("sockets.accepted");
        while (true)
        {
            LocalConnection connection;
            try
            {
                connection = await listener.AcceptAsync();
            }
            catch (Exception) when (context.Stop.IsCancellationRequested)
            {
                return; // the listener was closed at the end
            }

            accepted.Add();
            context.Tracker.Track(EchoAsync(context, connection), "sockets echo handler");
        }
    }

    private static async LocalTask EchoAsync(SoakContext context, LocalConnection connection)
    {
        Counter echoed = context.Ledger.Counter("sockets.server.bytes-echoed");
        Counter resets = context.Ledger.Counter("sockets.server.peer-aborts");
        byte[] buffer = new byte[8192];
        using (connection)
        {
            try
            {
                while (true)
                {
                    int n = await connection.ReceiveAsync(buffer);
                    if (n == 0)
                    {
                        connection.ShutdownSend();
                        return;
                    }

                    await connection.SendAsync(buffer.AsMemory(0, n));
                    echoed.Add(n);
                }
            }
            catch (SocketException)
            {
                resets.Add(); // the client aborted
            }
        }
    }

    private static async LocalTask ClientAsync(SoakContext context, EndPoint endPoint, int seed)
    {
        var random = new Random(seed);
        Ledger ledger = context.Ledger;
        byte[] payload = new byte[random.Next(1, 200_000)];
        random.NextBytes(payload);
        bool abort = random.Next(8) == 0;
        using LocalConnection connection = await LocalConnection.ConnectAsync(endPoint);
        ledger.Counter("sockets.client.connections").Add();
        LocalTask<long> reader = ReadEchoAsync(connection, payload, abort ? payload.Length / 2 : payload.Length, ledger);
        int sent = 0;
        int limit = abort ? payload.Length / 2 : payload.Length;
        while (sent < limit)
        {
            int chunk = Math.Min(limit - sent, random.Next(1, 32_768));
            await connection.SendAsync(payload.AsMemory(sent, chunk));
            sent += chunk;
        }

        long matched = await reader;
        if (abort)
        {
            connection.Abort();
            ledger.Counter("sockets.client.aborted").Add();
            return;
        }

        connection.ShutdownSend();
        byte[] end = new byte[1];
        ledger.Check(await connection.ReceiveAsync(end) == 0, "sockets.extra-bytes", () => "the echo sent more than it received");
        ledger.Check(matched == payload.Length, "sockets.short-echo", () => $"{matched} of {payload.Length} bytes came back");
        ledger.Counter("sockets.client.bytes-verified").Add(matched);
    }

    /// <summary>Reads <paramref name="expected"/> echoed bytes and compares them with the payload.</summary>
    private static async LocalTask<long> ReadEchoAsync(LocalConnection connection, byte[] payload, int expected, Ledger ledger)
    {
        byte[] buffer = new byte[16_384];
        int at = 0;
        while (at < expected)
        {
            int n = await connection.ReceiveAsync(buffer.AsMemory(0, Math.Min(buffer.Length, expected - at)));
            if (n == 0)
            {
                ledger.Violation("sockets.early-end", $"the echo ended after {at} of {expected} bytes");
                return at;
            }

            if (!buffer.AsSpan(0, n).SequenceEqual(payload.AsSpan(at, n)))
            {
                ledger.Violation("sockets.corrupt", $"echoed bytes {at}..{at + n} differ from what was sent");
            }

            at += n;
        }

        return at;
    }
}
