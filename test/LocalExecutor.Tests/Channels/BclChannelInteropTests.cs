using System;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Channels;

/// <summary>A user's System.Threading.Channels channel passed between executors: awaits resume on each side's own executor.</summary>
public sealed class BclChannelInteropTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutorPool _pool = new(PoolPlacement.Unbound(2));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    public void Dispose() => _pool.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_bounded_channel_across_executors_delivers_in_order_and_resumes_each_side_at_home(bool allowSynchronousContinuations)
    {
        const int count = 20_000;
        Channel<int> channel = Channel.CreateBounded<int>(new BoundedChannelOptions(8)
        {
            SingleReader = true,
            SingleWriter = true,
            AllowSynchronousContinuations = allowSynchronousContinuations,
        });
        LocalExecutor producer = _pool[0];
        LocalExecutor consumer = _pool[1];

        Task<int> writing = producer.Spawn(async Task<int> () =>
        {
            int offHome = 0;
            for (int i = 0; i < count; i++)
            {
                await channel.Writer.WriteAsync(i);
                offHome += producer.IsOwnerThread ? 0 : 1;
            }

            channel.Writer.Complete();
            return offHome;
        }).AsTask();

        (int received, bool inOrder, int offHome) = await consumer.Spawn(async Task<(int, bool, int)> () =>
        {
            int next = 0;
            bool ordered = true;
            int away = 0;
            await foreach (int item in channel.Reader.ReadAllAsync())
            {
                ordered &= item == next++;
                away += consumer.IsOwnerThread ? 0 : 1;
            }

            return (next, ordered, away);
        }).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        (await writing.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(0, "every write resumes on the producer's executor");
        offHome.Should().Be(0, "every read resumes on the consumer's executor");
        inOrder.Should().BeTrue();
        received.Should().Be(count);
    }

    [Fact]
    public async Task A_local_task_method_awaiting_a_bcl_channel_resumes_on_its_executor()
    {
        Channel<int> channel = Channel.CreateUnbounded<int>();
        LocalExecutor consumer = _pool[1];
        LocalTask<(int, bool)> reading = consumer.Start(() => ReadAsync(channel.Reader, consumer));

        await _pool[0].Spawn(() =>
        {
            for (int i = 1; i <= 100; i++)
            {
                channel.Writer.TryWrite(i).Should().BeTrue();
            }

            channel.Writer.Complete();
        }).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        (int sum, bool home) = await reading.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        sum.Should().Be(5050);
        home.Should().BeTrue();
    }

    private static async LocalTask<(int, bool)> ReadAsync(ChannelReader<int> reader, LocalExecutor home)
    {
        int sum = 0;
        bool atHome = true;
        while (await reader.WaitToReadAsync())
        {
            atHome &= home.IsOwnerThread;
            while (reader.TryRead(out int item))
            {
                sum += item;
            }
        }

        return (sum, atHome && home.IsOwnerThread);
    }
}
