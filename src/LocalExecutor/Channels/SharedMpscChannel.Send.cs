using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ThreadPerCore.Channels;

// The producer side: any thread, any number of them.
public sealed partial class SharedMpscChannel<T>
{
    /// <summary>Sends <paramref name="item"/> if there is room, without waiting. Any thread may call it.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False if the channel is full or closed.</returns>
    public bool TrySend(T item) => _ring.TrySend(item) == MpscSendOutcome.Sent;

    /// <summary>Sends <paramref name="item"/>, waiting while the channel is full. Any thread may call it, and several
    /// sends may wait at once; they get room in the order they started waiting.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels a wait for room; the item is then not sent.</param>
    /// <returns>A task that completes when the item is in the channel.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed, or was closed while the send waited.</exception>
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default)
    {
        return _ring.TrySend(item) switch
        {
            MpscSendOutcome.Sent => default,
            MpscSendOutcome.Closed => ValueTask.FromException(new ChannelClosedException()),
            _ => SendSlow(item, cancellationToken),
        };
    }

    private ValueTask SendSlow(T item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        SendWait wait = RentSendWait();
        wait.Begin(item, cancellationToken);
        short version = wait.Version;
        _ring.EnqueueSendWait(wait); // may complete it at once: the await then finds it done
        return new ValueTask(wait, version);
    }

    private SendWait RentSendWait() => _freeSendWaits.TryDequeue(out SendWait? wait) ? wait : new SendWait(this);

    private void ReturnSendWait(SendWait wait) => _freeSendWaits.Enqueue(wait);
}
