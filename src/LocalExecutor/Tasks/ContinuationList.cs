using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The continuations of a task with several awaiters: an array that doubles when full (so registering n awaiters costs
/// O(n) in all, where copying on every append cost O(n²)), under a lock taken only on this path. Completion closes it;
/// afterwards nobody writes it and the completing thread reads <see cref="Items"/>.
/// </summary>
[DebuggerDisplay("Count = {_count}, closed = {_closed}")]
internal sealed class ContinuationList
{
    private object[] _items;
    private int _count;
    private int _abandoned;
    private bool _closed;

    public ContinuationList(object first, object second)
    {
        _items = new object[4];
        _items[0] = first;
        _items[1] = second;
        _count = 2;
    }

    /// <summary>The continuations in registration order. Only after <see cref="Close"/>.</summary>
    public System.ReadOnlySpan<object> Items
    {
        get
        {
            Debug.Assert(Volatile.Read(ref _closed), "read only once closed");
            return new System.ReadOnlySpan<object>(_items, 0, _count);
        }
    }

    /// <returns>False once closed: the task completed and the caller runs the continuation itself.</returns>
    public bool TryAdd(object continuation)
    {
        lock (this)
        {
            if (_closed)
            {
                return false;
            }

            if (_count == _items.Length)
            {
                var grown = new object[_items.Length * 2];
                System.Array.Copy(_items, grown, _count);
                _items = grown;
            }

            _items[_count++] = continuation;
            return true;
        }
    }

    /// <summary>Refuses every later registration and waits for one in progress.</summary>
    public void Close()
    {
        lock (this)
        {
            Volatile.Write(ref _closed, true);
        }
    }

    /// <summary>Counts an entry whose owner ended; compacts once half the entries may be such, so the work is amortized
    /// constant per abandoned waiter and at most half of a pending list is dead weight.</summary>
    public void Abandoned()
    {
        lock (this)
        {
            if (_closed || ++_abandoned * 2 < _count)
            {
                return;
            }

            int kept = 0;
            for (int i = 0; i < _count; i++)
            {
                object item = _items[i];
                if (item is not IAbandonable { IsAbandoned: true })
                {
                    _items[kept++] = item;
                }
            }

            System.Array.Clear(_items, kept, _count - kept);
            _count = kept;
            _abandoned = 0;
        }
    }
}
