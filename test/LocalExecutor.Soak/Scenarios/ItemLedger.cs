using System.Threading;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>
/// The fate of every item of one channel round: whether its send succeeded or failed (cancelled, timed out, closed),
/// and how many times it was received. At the end of the round every item sent is received exactly once, and no item
/// whose send failed is received at all.
/// </summary>
internal sealed class ItemLedger(int items)
{
    public const byte NotTried = 0;
    public const byte Sent = 1;
    public const byte NotSent = 2;

    private readonly byte[] _sent = new byte[items];
    private readonly int[] _received = new int[items];
    private int _next;

    public int Items => _sent.Length;

    /// <summary>The next item to send, from any thread; false once all were handed out.</summary>
    public bool TryNext(out int item)
    {
        item = Interlocked.Increment(ref _next) - 1;
        return item < _sent.Length;
    }

    public void MarkSent(int item, bool sent) => Volatile.Write(ref _sent[item], sent ? Sent : NotSent);

    public void MarkReceived(int item) => Interlocked.Increment(ref _received[item]);

    /// <summary>Checks the round once every sender and receiver ended; returns how many items were delivered.</summary>
    public int Verify(Ledger ledger, string scenario)
    {
        int delivered = 0;
        for (int i = 0; i < _sent.Length; i++)
        {
            byte sent = Volatile.Read(ref _sent[i]);
            int received = Volatile.Read(ref _received[i]);
            delivered += received;
            if (received > 1)
            {
                ledger.Violation($"{scenario}.duplicate", $"item {i} was received {received} times");
            }
            else if (sent == Sent && received == 0)
            {
                ledger.Violation($"{scenario}.lost", $"item {i} was sent but never received");
            }
            else if (sent != Sent && received == 1)
            {
                ledger.Violation($"{scenario}.ghost", $"item {i} was received though its send {(sent == NotSent ? "failed or was cancelled" : "never ended")}");
            }
            else if (sent == NotTried)
            {
                ledger.Violation($"{scenario}.unsettled", $"item {i} has no recorded send outcome");
            }
        }

        return delivered;
    }
}
