using System;
using System.Linq;
using System.Threading.Tasks;
using ThreadPerCore.Channels;

namespace ThreadPerCore.Examples;

/// <summary>README: "Channels".</summary>
internal static class ChannelsExample
{
    public static async Task RunAsync()
    {
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        Order[] incoming = Enumerable.Range(1, 10_000).Select(i => new Order(i)).ToArray();
        long total = 0;
        void Process(Order order) => total += order.Id;

        var orders = new SharedChannel<Order>(capacity: 1024);
        LocalTask producer = pool[0].Spawn(async () =>
        {
            foreach (Order order in incoming) await orders.SendAsync(order);   // waits only while full
            orders.Close();
        });
        LocalTask consumer = pool[1].Spawn(async () =>
        {
            await foreach (Order order in orders.ReadAllAsync()) Process(order);   // drains, then ends at the close
        });

        await producer;
        await consumer;
        Console.WriteLine($"received {total} (expected {incoming.Sum(o => (long)o.Id)})");
    }

    private sealed record Order(int Id);
}
