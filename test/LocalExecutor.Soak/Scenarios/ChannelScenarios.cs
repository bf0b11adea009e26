using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Channels;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>
/// Rounds of traffic through one channel type: producers and consumers of both doors (raw tasks with plain, token,
/// timeout and foreign-cancel operations; <c>ValueTask</c> loops with tokens), then a close, a drain and the item
/// check of <see cref="ItemLedger"/>.
/// </summary>
internal abstract class ChannelScenario : IScenario
{
    public abstract string Name { get; }

    /// <summary>Items per round: enough for thousands of waits, few enough that a round ends well within the hang
    /// bound while every other scenario competes for the same executors.</summary>
    protected virtual int ItemsPerRound => 3000;

    public async Task RunAsync(SoakContext context)
    {
        var random = new Random(context.Seed ^ Name.GetHashCode(StringComparison.Ordinal));
        Counter rounds = context.Ledger.Counter($"{Name}.rounds");
        Counter delivered = context.Ledger.Counter($"{Name}.items-delivered");
        while (!context.Stop.IsCancellationRequested)
        {
            var items = new ItemLedger(ItemsPerRound);
            var driver = new ChannelDriver(context, items, Name);
            var work = new List<Task>();
            StartRound(context, driver, random, work);
            foreach (Task task in work)
            {
                context.Tracker.Track(task, $"{Name} round task");
            }

            try
            {
                await Task.WhenAll(work).WaitAsync(TimeSpan.FromMinutes(2));
            }
            catch (TimeoutException)
            {
                context.Ledger.Violation($"{Name}.round-hung", $"a round did not finish within 2 minutes (see task-hung): {await DescribeAsync(context).ConfigureAwait(false)}");
                return;
            }

            delivered.Add(items.Verify(context.Ledger, Name));
            rounds.Add();
        }
    }

    /// <summary>Starts the round's producers and consumers (adding their tasks to <paramref name="work"/>); the last
    /// of them closes the channel once every producer ended and drains it into the ledger.</summary>
    /// <summary>What the channel of a stuck round looks like, for the report.</summary>
    protected virtual Task<string> DescribeAsync(SoakContext context) => Task.FromResult(string.Empty);

    /// <summary>The private fields of a channel, read on its owner's thread (a stuck round's report).</summary>
    protected static string Fields(object channel) => string.Join(", ", channel.GetType()
        .GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
        .Select(f => $"{f.Name}={Render(f.GetValue(channel))}"));

    private static string Render(object? value) => value switch
    {
        null => "null",
        System.Collections.IEnumerable sequence and not string => $"[{sequence.Cast<object?>().Count()} entries]",
        _ when value.GetType().IsValueType && value.GetType().Namespace?.StartsWith("ThreadPerCore", StringComparison.Ordinal) == true => "{" + Fields(value) + "}",
        _ => value.ToString() ?? "?",
    };

    protected abstract void StartRound(SoakContext context, ChannelDriver driver, Random random, List<Task> work);
}

/// <summary><see cref="LocalChannel{T}"/>: everything on executor A, several producers and consumers of both doors.</summary>
internal sealed class LocalChannelScenario : ChannelScenario
{
    public override string Name => "local-channel";

    protected override void StartRound(SoakContext context, ChannelDriver driver, Random random, List<Task> work)
    {
        int capacity = random.Next(1, 9);
        int producers = random.Next(1, 4);
        int consumers = random.Next(1, 4);
        int seed = random.Next();
        work.Add(context.A.Spawn(() => RunOnOwner(context.A, driver, capacity, producers, consumers, seed)).AsTask());
    }

    private static LocalChannel<int>? s_current;

    protected override Task<string> DescribeAsync(SoakContext context) =>
        s_current is { } channel ? context.A.Spawn(() => Fields(channel)).AsTask() : Task.FromResult("no channel");

    private static async Task RunOnOwner(LocalExecutor owner, ChannelDriver driver, int capacity, int producers, int consumers, int seed)
    {
        var channel = new LocalChannel<int>(owner, capacity);
        s_current = channel;
        var sends = new List<Task>();
        var receives = new List<Task>();
        for (int i = 0; i < producers; i++)
        {
            sends.Add(driver.ProduceAsync((item, token) => SendOne(channel, item, token), seed + i).AsTask());
        }

        sends.Add(driver.ProduceWithTokensAsync((item, token) => channel.SendAsync(item, token), seed - 1));
        for (int i = 0; i < consumers; i++)
        {
            receives.Add(driver.ConsumeAsync(token => ReceiveOne(channel, token), seed + 100 + i).AsTask());
        }

        receives.Add(driver.ConsumeWithTokensAsync(token => channel.ReceiveAsync(token), seed - 2));
        await Task.WhenAll(sends);
        channel.Close();
        await Task.WhenAll(receives);
        driver.Drain(() => channel.TryReceive(out int item) ? item : -1);
    }

    private static async LocalTask SendOne(LocalChannel<int> channel, int item, CancellationToken token) => await channel.SendAsync(item, token);

    private static async LocalTask<int> ReceiveOne(LocalChannel<int> channel, CancellationToken token) => await channel.ReceiveAsync(token);
}

/// <summary><see cref="SharedChannel{T}"/>: one producer on A, one consumer on B, each of either door.</summary>
internal sealed class SharedChannelScenario : ChannelScenario
{
    public override string Name => "shared-channel";

    // One operation at a time on each side, each a cross-core wake into a busy executor's default queue.
    protected override int ItemsPerRound => 1000;

    protected override void StartRound(SoakContext context, ChannelDriver driver, Random random, List<Task> work)
    {
        var channel = new SharedChannel<int>(random.Next(1, 17));
        int seed = random.Next();
        bool rawProducer = random.Next(4) != 0;
        bool rawConsumer = random.Next(4) != 0;
        Task produce = rawProducer
            ? context.A.Start(() => driver.ProduceAsync((item, token) => SendOne(channel, item, token), seed)).AsTask()
            : context.A.Spawn(() => driver.ProduceWithTokensAsync((item, token) => channel.SendAsync(item, token), seed)).AsTask();
        Task consume = rawConsumer
            ? context.B.Start(() => driver.ConsumeAsync(token => ReceiveOne(channel, token), seed + 1)).AsTask()
            : context.B.Spawn(() => driver.ConsumeWithTokensAsync(token => channel.ReceiveAsync(token), seed + 1)).AsTask();
        work.Add(CloseAndDrain(context, produce, consume, channel, driver));
    }

    private static async Task CloseAndDrain(SoakContext context, Task produce, Task consume, SharedChannel<int> channel, ChannelDriver driver)
    {
        await produce.ConfigureAwait(false);
        channel.Close();
        await consume.ConfigureAwait(false);
        await context.B.Spawn(() => driver.Drain(() => channel.TryReceive(out int item) ? item : -1)).AsTask().ConfigureAwait(false);
    }

    private static async LocalTask SendOne(SharedChannel<int> channel, int item, CancellationToken token) => await channel.SendAsync(item, token);

    private static async LocalTask<int> ReceiveOne(SharedChannel<int> channel, CancellationToken token) => await channel.ReceiveAsync(token);
}

/// <summary><see cref="SharedMpscChannel{T}"/>: raw-task producers on A and B and a thread-pool producer with tokens,
/// into one consumer on B.</summary>
internal sealed class MpscChannelScenario : ChannelScenario
{
    public override string Name => "mpsc-channel";

    protected override void StartRound(SoakContext context, ChannelDriver driver, Random random, List<Task> work)
    {
        var channel = new SharedMpscChannel<int>(random.Next(2, 17)); // its smallest capacity is 2
        int seed = random.Next();
        var sends = new List<Task>
        {
            context.A.Start(() => driver.ProduceAsync((item, token) => SendOne(channel, item, token), seed)).AsTask(),
            context.A.Start(() => driver.ProduceAsync((item, token) => SendOne(channel, item, token), seed + 1)).AsTask(),
            context.B.Start(() => driver.ProduceAsync((item, token) => SendOne(channel, item, token), seed + 2)).AsTask(),
            context.A.Spawn(() => driver.ProduceWithTokensAsync((item, token) => channel.SendAsync(item, token), seed + 3)).AsTask(),
            Task.Run(() => driver.ProduceWithTokensAsync((item, token) => channel.SendAsync(item, token), seed + 4)),
        };
        Task consume = random.Next(4) != 0
            ? context.B.Start(() => driver.ConsumeAsync(token => ReceiveOne(channel, token), seed + 5)).AsTask()
            : context.B.Spawn(() => driver.ConsumeWithTokensAsync(token => channel.ReceiveAsync(token), seed + 5)).AsTask();
        work.Add(CloseAndDrain(context, sends, consume, channel, driver));
    }

    private static async Task CloseAndDrain(SoakContext context, List<Task> sends, Task consume, SharedMpscChannel<int> channel, ChannelDriver driver)
    {
        await Task.WhenAll(sends).ConfigureAwait(false);
        channel.Close();
        await consume.ConfigureAwait(false);
        await context.B.Spawn(() => driver.Drain(() => channel.TryReceive(out int item) ? item : -1)).AsTask().ConfigureAwait(false);
    }

    private static async LocalTask SendOne(SharedMpscChannel<int> channel, int item, CancellationToken token) => await channel.SendAsync(item, token);

    private static async LocalTask<int> ReceiveOne(SharedMpscChannel<int> channel, CancellationToken token) => await channel.ReceiveAsync(token);
}
