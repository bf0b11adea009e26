namespace ThreadPerCore.Channels;

public sealed partial class LocalChannel<T>
{
    /// <summary>A FIFO list of waits, linked through the waits themselves (no allocation, O(1) removal on cancel).</summary>
    private struct WaitList
    {
        private LocalWait? _first;
        private LocalWait? _last;

        public void Add(LocalWait wait)
        {
            wait.Previous = _last;
            wait.Next = null;
            if (_last is null)
            {
                _first = wait;
            }
            else
            {
                _last.Next = wait;
            }

            _last = wait;
            wait.IsLinked = true;
        }

        public LocalWait? TakeFirst()
        {
            LocalWait? first = _first;
            if (first is not null)
            {
                Remove(first);
            }

            return first;
        }

        public void Remove(LocalWait wait)
        {
            if (wait.Previous is null)
            {
                _first = wait.Next;
            }
            else
            {
                wait.Previous.Next = wait.Next;
            }

            if (wait.Next is null)
            {
                _last = wait.Previous;
            }
            else
            {
                wait.Next.Previous = wait.Previous;
            }

            wait.Previous = null;
            wait.Next = null;
            wait.IsLinked = false;
        }
    }
}
