using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.Channels;

/// <summary>
/// The reusable wait of a cross-core channel's consumer. The item is taken when the consumer resumes (in
/// <see cref="GetResult"/>), on its own side: the producer only announces it.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ReceiveOperation<T>(IReceiveSide<T> channel) : ChannelOperation, IValueTaskSource<T>
{
    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        return IsCanceled ? ValueTaskSourceStatus.Canceled : channel.PeekReceive();
    }

    public T GetResult(short token)
    {
        ValidateToken(token);
        if (IsCanceled)
        {
            CancellationToken cancellationToken = CancellationToken;
            Release();
            throw new OperationCanceledException(cancellationToken);
        }

        if (channel.TryReceiveCore(out T item))
        {
            Release();
            return item;
        }

        if (channel.PeekReceive() == ValueTaskSourceStatus.Faulted)
        {
            Release();
            throw new ChannelClosedException();
        }

        throw new InvalidOperationException("The receive has not completed yet; await it instead.");
    }

    protected override void Arm() => ArmWith(new ItemFlag(channel));

    protected override void OnCancellationRequested() => CancelWith(new ItemFlag(channel));

    /// <summary>The consumer's waiting flag on the channel.</summary>
    private readonly struct ItemFlag(IReceiveSide<T> side) : IWaitFlag
    {
        public bool TryRaise() => side.TryWaitForItem();

        public bool TryWithdraw() => side.TryStopWaitingForItem();
    }
}
