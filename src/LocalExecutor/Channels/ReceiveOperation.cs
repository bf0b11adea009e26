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
    private int _cancelRequested;
    private bool _canceled;

    public new void Begin(CancellationToken cancellationToken)
    {
        _canceled = false;
        _cancelRequested = 0;
        base.Begin(cancellationToken);
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        return _canceled ? ValueTaskSourceStatus.Canceled : channel.PeekReceive();
    }

    public T GetResult(short token)
    {
        ValidateToken(token);
        if (_canceled)
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

    protected override void Arm()
    {
        RegisterCancellation();
        if (!channel.TryWaitForItem())
        {
            Signal(); // ready already: no producer will signal this wait
            return;
        }

        if (Volatile.Read(ref _cancelRequested) != 0)
        {
            TryCancel();
        }
    }

    protected override void OnCancellationRequested()
    {
        Volatile.Write(ref _cancelRequested, 1);
        TryCancel();
    }

    private void TryCancel()
    {
        if (channel.TryStopWaitingForItem())
        {
            _canceled = true;
            Signal();
        }
    }
}
