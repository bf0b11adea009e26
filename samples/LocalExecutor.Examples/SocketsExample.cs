using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using ThreadPerCore.IO;

namespace ThreadPerCore.Examples;

/// <summary>README: "I/O on the core".</summary>
internal static class SocketsExample
{
    public static async Task RunAsync()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        var served = pool.Executors.ToDictionary(core => core, _ => new Counter()); // each touched by its own core only

        // One listener per core (SO_REUSEPORT); each connection runs start to end on the core that accepted it.
        await using LocalServer server = await LocalServer.StartAsync(pool, new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            PipeReader input = connection.Pipe.Input;
            PipeWriter output = connection.Pipe.Output;
            while (true)
            {
                ReadResult read = await input.ReadAsync(stopping);   // resumes on this core, no other thread involved
                foreach (ReadOnlyMemory<byte> segment in read.Buffer) output.Write(segment.Span);
                input.AdvanceTo(read.Buffer.End);
                await output.FlushAsync(stopping);
                served[LocalExecutor.Current!].Reads++;
                if (read.IsCompleted) break;
            }
        });

        // A client on the first core, with the same API: connect, send, receive.
        string reply = await pool[0].Spawn(async () =>
        {
            await using LocalConnection client = await LocalConnection.ConnectAsync(server.EndPoint);
            await client.SendAsync("hello, core"u8.ToArray());
            client.ShutdownSend();
            var buffer = new byte[64];
            int length = 0, n;
            while ((n = await client.ReceiveAsync(buffer.AsMemory(length))) > 0) length += n;
            return System.Text.Encoding.ASCII.GetString(buffer, 0, length);
        });

        Console.WriteLine($"echoed '{reply}' on {(pool[0].HasReactor ? "the reactor" : ".NET sockets")}; reads served per core: {string.Join(", ", served.Values.Select(c => c.Reads))}");
    }

    private sealed class Counter
    {
        public int Reads;
    }
}
