using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

/// <summary>
/// The consumer side of a cross-core channel, as its reusable receive wait (<see cref="ReceiveOperation{T}"/>) sees it:
/// the one place where <see cref="SharedChannel{T}"/> and <see cref="SharedMpscChannel{T}"/> differ for a receive.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal interface IReceiveSide<T>
{
    /// <summary>Succeeded when an item waits, Faulted when the channel is closed and drained, else Pending.</summary>
    ValueTaskSourceStatus PeekReceive();

    /// <summary>Takes the next item, if any.</summary>
    bool TryReceiveCore(out T item);

    /// <summary>Announces the waiting consumer to producers (with a full fence); false when an item or the close
    /// arrived first, in which case nobody else will signal the wait.</summary>
    bool TryWaitForItem();

    /// <summary>Takes the announcement back; false when a producer already took it and its signal is on the way.</summary>
    bool TryStopWaitingForItem();
}
