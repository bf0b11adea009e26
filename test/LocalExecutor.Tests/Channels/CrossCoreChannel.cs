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
        Func<int, bool> trySend,
        Func<bool> close,
        Func<IAsyncEnumerable<int>> readAll,
        Func<bool> isReceiverWaiting)
    {
        ReceiveWith = receive;
        TryReceive = tryReceive;
        TrySend = trySend;
        Close = close;
        ReadAll = readAll;
        IsReceiverWaiting = isReceiverWaiting;
    }

    public delegate bool TryReceiveFunc(out int item);

    /// <summary>The channel kinds a theory runs over.</summary>
    public static TheoryData<string> Kinds => new() { "SharedChannel", "SharedMpscChannel" };

    public Func<CancellationToken, ValueTask<int>> ReceiveWith { get; }

    public TryReceiveFunc TryReceive { get; }

    public Func<int, bool> TrySend { get; }

    public Func<bool> Close { get; }

    public Func<IAsyncEnumerable<int>> ReadAll { get; }

    /// <summary>True while the consumer's waiting flag is up (a receive waits for an item).</summary>
    public Func<bool> IsReceiverWaiting { get; }

    /// <summary>A channel of the named kind with room for <paramref name="capacity"/> items.</summary>
    public static CrossCoreChannel Create(string kind, int capacity = 4) => kind switch
    {
        "SharedChannel" => Of(new SharedChannel<int>(capacity)),
        "SharedMpscChannel" => Of(new SharedMpscChannel<int>(capacity)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a cross-core channel"),
    };

    public ValueTask<int> Receive() => ReceiveWith(CancellationToken.None);

    private static CrossCoreChannel Of(SharedChannel<int> channel) =>
        new(channel.ReceiveAsync, channel.TryReceive, channel.TrySend, channel.Close, () => channel.ReadAllAsync(), () => channel.IsReceiverWaiting);

    private static CrossCoreChannel Of(SharedMpscChannel<int> channel) =>
        new(channel.ReceiveAsync, channel.TryReceive, channel.TrySend, channel.Close, () => channel.ReadAllAsync(), () => channel.IsReceiverWaiting);
}
