using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Channels;
using Xunit;

namespace ThreadPerCore.Tests.Channels;

/// <summary>The operations the receive tests use, over either cross-core channel, so one theory covers both.</summary>
internal sealed class CrossCoreChannel
{
    private CrossCoreChannel(
        Func<CancellationToken, ValueTask<int>> receive,
        TryReceiveFunc tryReceive,
        Func<int, CancellationToken, ValueTask> send,
        Func<int, bool> trySend,
        Func<bool> close,
        Func<IAsyncEnumerable<int>> readAll,
        Func<bool> isReceiverWaiting,
        Func<int> count)
    {
        ReceiveWith = receive;
        TryReceive = tryReceive;
        SendWith = send;
        TrySend = trySend;
        Close = close;
        ReadAll = readAll;
        IsReceiverWaiting = isReceiverWaiting;
        Count = count;
    }

    public delegate bool TryReceiveFunc(out int item);

    /// <summary>The channel kinds a theory runs over.</summary>
    public static TheoryData<string> Kinds => new() { "SharedChannel", "SharedMpscChannel" };

    public Func<CancellationToken, ValueTask<int>> ReceiveWith { get; }

    public TryReceiveFunc TryReceive { get; }

    public Func<int, CancellationToken, ValueTask> SendWith { get; }

    public Func<int, bool> TrySend { get; }

    public Func<bool> Close { get; }

    public Func<IAsyncEnumerable<int>> ReadAll { get; }

    /// <summary>True while the consumer's waiting flag is up (a receive waits for an item).</summary>
    public Func<bool> IsReceiverWaiting { get; }

    /// <summary>How many items the channel holds.</summary>
    public Func<int> Count { get; }

    /// <summary>A channel of the named kind with room for <paramref name="capacity"/> items.</summary>
    public static CrossCoreChannel Create(string kind, int capacity = 4) => kind switch
    {
        "SharedChannel" => Of(new SharedChannel<int>(capacity)),
        "SharedMpscChannel" => Of(new SharedMpscChannel<int>(capacity)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a cross-core channel"),
    };

    public ValueTask<int> Receive() => ReceiveWith(CancellationToken.None);

    private static CrossCoreChannel Of(SharedChannel<int> channel) =>
        new(channel.ReceiveAsync, channel.TryReceive, channel.SendAsync, channel.TrySend, channel.Close, () => channel.ReadAllAsync(), () => channel.IsReceiverWaiting, () => channel.Count);

    private static CrossCoreChannel Of(SharedMpscChannel<int> channel) =>
        new(channel.ReceiveAsync, channel.TryReceive, channel.SendAsync, channel.TrySend, channel.Close, () => channel.ReadAllAsync(), () => channel.IsReceiverWaiting, () => channel.Count);
}
