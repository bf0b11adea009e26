using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>How one channel operation is bounded: not at all, by a token a foreign thread cancels, by
/// <c>WithTimeout</c> on the executor, or by a foreign <see cref="LocalTask.Cancel"/> of its raw task.</summary>
internal enum OpMode
{
    Plain,
    Token,
    Timeout,
    Cancel,
}

/// <summary>
/// Producer and consumer loops shared by the channel scenarios. Each operation of a raw-task loop is a task of its own
/// (so a cancel drops exactly that operation) and its outcome decides the item's fate in the <see cref="ItemLedger"/>:
/// a send whose task completed was sent, any other was not; a receive whose task completed took its item. Loops of the
/// <c>Task</c> door use tokens only.
/// </summary>
internal sealed class ChannelDriver(SoakContext context, ItemLedger items, string scenario)
{
    private readonly Counter[,] _sends = Counters(context.Ledger, scenario, "send");
    private readonly Counter[,] _receives = Counters(context.Ledger, scenario, "receive");
    private readonly Counter _drained = context.Ledger.Counter($"{scenario}.drained-after-close");

    /// <summary>Sends items until the ledger runs out, one raw task per send.</summary>
    public async LocalTask ProduceAsync(Func<int, CancellationToken, LocalTask> sendOne, int seed)
    {
        var random = new Random(seed);
        while (items.TryNext(out int item))
        {
            (OpMode mode, CancellationToken token) = Choose(random, allowRawTask: true);
            LocalTask send = sendOne(item, token);
            await Bounded(send, mode, random);
            bool sent = send.IsCompletedSuccessfully;
            if (!sent && send.Exception is not OperationCanceledException and not ChannelClosedException)
            {
                context.Ledger.Violation($"{scenario}.send-error", $"a send failed with {send.Exception}");
            }

            items.MarkSent(item, sent);
            _sends[(int)mode, sent ? 0 : 1].Add();
        }
    }

    /// <summary>Receives until the channel is closed and empty, one raw task per receive.</summary>
    public async LocalTask ConsumeAsync(Func<CancellationToken, LocalTask<int>> receiveOne, int seed)
    {
        var random = new Random(seed);
        while (true)
        {
            (OpMode mode, CancellationToken token) = Choose(random, allowRawTask: true);
            LocalTask<int> receive = receiveOne(token);
            await Bounded(receive, mode, random);
            if (receive.IsCompletedSuccessfully)
            {
                items.MarkReceived(await receive);
                _receives[(int)mode, 0].Add();
            }
            else if (receive.Exception is ChannelClosedException)
            {
                return;
            }
            else
            {
                context.Ledger.Check(receive.IsCanceled, $"{scenario}.receive-error", () => $"a receive failed with {receive.Exception}");
                _receives[(int)mode, 1].Add();
            }
        }
    }

    /// <summary>Sends items until the ledger runs out through the <c>ValueTask</c> door, some with tokens.</summary>
    public async Task ProduceWithTokensAsync(Func<int, CancellationToken, ValueTask> send, int seed)
    {
        var random = new Random(seed);
        while (items.TryNext(out int item))
        {
            (OpMode mode, CancellationToken token) = Choose(random, allowRawTask: false);
            bool sent;
            try
            {
                await send(item, token);
                sent = true;
            }
            catch (OperationCanceledException)
            {
                sent = false;
            }

            items.MarkSent(item, sent);
            _sends[(int)mode, sent ? 0 : 1].Add();
        }
    }

    /// <summary>Receives until the channel is closed and empty through the <c>ValueTask</c> door, some with tokens.</summary>
    public async Task ConsumeWithTokensAsync(Func<CancellationToken, ValueTask<int>> receive, int seed)
    {
        var random = new Random(seed);
        while (true)
        {
            (OpMode mode, CancellationToken token) = Choose(random, allowRawTask: false);
            try
            {
                items.MarkReceived(await receive(token));
                _receives[(int)mode, 0].Add();
            }
            catch (OperationCanceledException)
            {
                _receives[(int)mode, 1].Add();
            }
            catch (ChannelClosedException)
            {
                return;
            }
        }
    }

    /// <summary>Takes what is left in the closed channel (on its receiving side) into the ledger.</summary>
    public void Drain(Func<int> tryReceive)
    {
        for (int item = tryReceive(); item >= 0; item = tryReceive())
        {
            items.MarkReceived(item);
            _drained.Add();
        }
    }

    private static Counter[,] Counters(Ledger ledger, string scenario, string side)
    {
        var counters = new Counter[4, 2];
        foreach (OpMode mode in Enum.GetValues<OpMode>())
        {
            string name = mode.ToString().ToLowerInvariant();
            counters[(int)mode, 0] = ledger.Counter($"{scenario}.{side}.{name}.done");
            counters[(int)mode, 1] = ledger.Counter($"{scenario}.{side}.{name}.dropped");
        }

        return counters;
    }

    private (OpMode Mode, CancellationToken Token) Choose(Random random, bool allowRawTask)
    {
        var mode = (OpMode)random.Next(allowRawTask ? 4 : 2);
        if (random.Next(3) == 0)
        {
            mode = OpMode.Plain; // a good share of plain traffic keeps the channel moving
        }

        if (mode != OpMode.Token)
        {
            return (mode, default);
        }

        var source = new CancellationTokenSource();
        context.Canceller.CancelSoon(source, random.Next(0, 400));
        return (mode, source.Token);
    }

    /// <summary>Awaits the operation under its bound; the operation itself has ended when this returns.</summary>
    private async LocalTask Bounded(LocalTask operation, OpMode mode, Random random)
    {
        LocalTask awaited = operation;
        if (mode == OpMode.Timeout)
        {
            awaited = operation.WithTimeout(TimeSpan.FromMicroseconds(random.Next(0, 1500)));
        }
        else if (mode == OpMode.Cancel)
        {
            context.Canceller.CancelSoon(operation, random.Next(0, 300));
        }

        try
        {
            await awaited;
        }
        catch (OperationCanceledException)
        {
        }
        catch (TimeoutException)
        {
            context.Ledger.Check(operation.IsCanceled, $"{scenario}.timeout-outcome", () => "WithTimeout timed out but the operation did not end cancelled");
        }
        catch (ChannelClosedException)
        {
        }

        context.Ledger.Check(operation.IsCompleted, $"{scenario}.unfinished-operation", () => "an awaited operation had not ended");
    }
}
