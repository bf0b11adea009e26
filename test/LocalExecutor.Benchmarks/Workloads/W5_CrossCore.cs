using System.Threading.Channels;
using ThreadPerCore.Channels;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ThreadPerCore.Benchmarks.Infrastructure;

namespace ThreadPerCore.Benchmarks.Workloads;

/// <summary>
/// Workload 5: cross-core messaging. A producer on an executor pinned to CPU 0 sends a million ints to a consumer
/// on an executor pinned to CPU 1 through a bounded channel (capacity 1,024, single reader, single writer); the
/// consumer checks the count and the sum. Reported per message; messages per second = 1e9 / ns per message.
/// The thread-pool row is the same channel between two pool tasks, for reference.
/// </summary>
/// <remarks>
/// LocalExecutor's own cross-core channel is <see cref="SharedChannel{T}"/> (issue 3): a lock-free single-producer,
/// single-consumer ring that wakes the other side only when it really waits. The target compares it with the
/// System.Threading.Channels row of the same door (<c>async LocalTask</c>) on the same two executors.
/// </remarks>
[MemoryDiagnoser]
[BenchmarkCategory("W5")]
public class W5_CrossCore
{
    public const int Messages = 1_000_000;
    public const int Capacity = 1_024;
    private const long ExpectedSum = (long)Messages * (Messages - 1) / 2;

    private LocalExecutor _producer = null!;
    private LocalExecutor _consumer = null!;
    private LocalExecutor _spinningProducer = null!;
    private LocalExecutor _spinningConsumer = null!;

    [GlobalSetup]
    public void Setup()
    {
        Cpus.PinDriver(); // the driver only waits; the producer shares its CPU
        _producer = new LocalExecutor(Cpus.Pinned(Cpus.Driver, name: "bench-producer"));
        _consumer = new LocalExecutor(Cpus.Pinned(Cpus.Worker, name: "bench-consumer"));
        _spinningProducer = new LocalExecutor(Cpus.Pinned(Cpus.Driver, W4_PingPong.Spin, "bench-producer-spin"));
        _spinningConsumer = new LocalExecutor(Cpus.Pinned(Cpus.Worker, W4_PingPong.Spin, "bench-consumer-spin"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _producer.Dispose();
        _consumer.Dispose();
        _spinningProducer.Dispose();
        _spinningConsumer.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long ThreadPool_SystemChannel()
    {
        Channel<int> channel = NewSystemChannel();
        Task<long> consumer = Task.Run(() => Consume(channel.Reader));
        Task<int> producer = Task.Run(() => Produce(channel.Writer));
        return Finish(producer, consumer, nameof(ThreadPool_SystemChannel));
    }

    /// <summary>Plain <c>async Task</c> loops on the two executors (the SynchronizationContext door).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long Local_SyncContext_SystemChannel()
    {
        Channel<int> channel = NewSystemChannel();
        Task<long> consumer = _consumer.Spawn(() => Consume(channel.Reader)).AsTask();
        Task<int> producer = _producer.Spawn(() => Produce(channel.Writer)).AsTask();
        return Finish(producer, consumer, nameof(Local_SyncContext_SystemChannel));
    }

    /// <summary><c>async LocalTask</c> loops on the two executors.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long Local_LocalTask_SystemChannel()
    {
        Channel<int> channel = NewSystemChannel();
        Task<long> consumer = _consumer.Start(() => LocalConsume(channel.Reader)).AsTask();
        Task<int> producer = _producer.Start(() => LocalProduce(channel.Writer)).AsTask();
        return Finish(producer, consumer, nameof(Local_LocalTask_SystemChannel));
    }

    /// <summary>
    /// The same with <see cref="LocalExecutorOptions.SpinBeforePark"/> = 50 µs on both executors: the thread pool's
    /// workers also spin before they sleep, and a channel that drains faster than it fills wakes its reader often.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long Local_LocalTask_SystemChannel_Spin()
    {
        Channel<int> channel = NewSystemChannel();
        Task<long> consumer = _spinningConsumer.Start(() => LocalConsume(channel.Reader)).AsTask();
        Task<int> producer = _spinningProducer.Start(() => LocalProduce(channel.Writer)).AsTask();
        return Finish(producer, consumer, nameof(Local_LocalTask_SystemChannel_Spin));
    }

    /// <summary>
    /// Reference: producer and consumer on the same executor (one core). The thread-pool row usually ends up like
    /// this too: a continuation queued from a pool thread goes to that thread's local queue, so the two loops take
    /// turns on one thread in batches of up to the channel's capacity, and no message crosses a core.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long Local_LocalTask_SystemChannel_SameCore()
    {
        Channel<int> channel = NewSystemChannel();
        Task<long> consumer = _consumer.Start(() => LocalConsume(channel.Reader)).AsTask();
        Task<int> producer = _consumer.Start(() => LocalProduce(channel.Writer)).AsTask();
        return Finish(producer, consumer, nameof(Local_LocalTask_SystemChannel_SameCore));
    }

    /// <summary>LocalExecutor's <see cref="SharedChannel{T}"/> with the same capacity, <c>async LocalTask</c> loops.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long Local_SharedChannel()
    {
        var channel = new SharedChannel<int>(Capacity);
        Task<long> consumer = _consumer.Start(() => SharedConsume(channel)).AsTask();
        Task<int> producer = _producer.Start(() => SharedProduce(channel)).AsTask();
        return Finish(producer, consumer, nameof(Local_SharedChannel));
    }

    /// <summary>The same with the 50 µs spin on both executors.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long Local_SharedChannel_Spin()
    {
        var channel = new SharedChannel<int>(Capacity);
        Task<long> consumer = _spinningConsumer.Start(() => SharedConsume(channel)).AsTask();
        Task<int> producer = _spinningProducer.Start(() => SharedProduce(channel)).AsTask();
        return Finish(producer, consumer, nameof(Local_SharedChannel_Spin));
    }

    private static async LocalTask<int> SharedProduce(SharedChannel<int> channel)
    {
        for (int i = 0; i < Messages; i++)
        {
            if (!channel.TrySend(i))
            {
                await channel.SendAsync(i);
            }
        }

        channel.Close();
        return Messages;
    }

    private static async LocalTask<long> SharedConsume(SharedChannel<int> channel)
    {
        long sum = 0;
        int count = 0;
        while (count < Messages)
        {
            int value = channel.TryReceive(out int ready) ? ready : await channel.ReceiveAsync();
            sum += value;
            count++;
        }

        Check.Equal(count, Messages, "messages received");
        return sum;
    }

    private static Channel<int> NewSystemChannel() => Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private static long Finish(Task<int> producer, Task<long> consumer, string method)
    {
        Check.Equal(producer.GetAwaiter().GetResult(), Messages, method + " sent");
        return Check.Equal(consumer.GetAwaiter().GetResult(), ExpectedSum, method + " received sum");
    }

    private static async Task<int> Produce(ChannelWriter<int> writer)
    {
        for (int i = 0; i < Messages; i++)
        {
            while (!writer.TryWrite(i))
            {
                Check.True(await writer.WaitToWriteAsync(), "the channel closed early");
            }
        }

        writer.Complete();
        return Messages;
    }

    private static async Task<long> Consume(ChannelReader<int> reader)
    {
        long sum = 0;
        int count = 0;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out int value))
            {
                sum += value;
                count++;
            }
        }

        Check.Equal(count, Messages, "messages received");
        return sum;
    }

    private static async LocalTask<int> LocalProduce(ChannelWriter<int> writer)
    {
        for (int i = 0; i < Messages; i++)
        {
            while (!writer.TryWrite(i))
            {
                Check.True(await writer.WaitToWriteAsync(), "the channel closed early");
            }
        }

        writer.Complete();
        return Messages;
    }

    private static async LocalTask<long> LocalConsume(ChannelReader<int> reader)
    {
        long sum = 0;
        int count = 0;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out int value))
            {
                sum += value;
                count++;
            }
        }

        Check.Equal(count, Messages, "messages received");
        return sum;
    }
}
