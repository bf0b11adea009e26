using System.Collections;
using System.Collections.Generic;
using System.Numerics;

namespace ThreadPerCore.Platform;

// Enumerating a CpuSet in ascending order.
public readonly partial struct CpuSet
{
    /// <summary>Returns an enumerator over the CPU numbers in ascending order.</summary>
    /// <returns>The enumerator.</returns>
    public Enumerator GetEnumerator() => new(_words);

    /// <inheritdoc/>
    IEnumerator<int> IEnumerable<int>.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Enumerates the CPU numbers of a <see cref="CpuSet"/> in ascending order.</summary>
    public struct Enumerator : IEnumerator<int>
    {
        private readonly ulong[]? _words;
        private int _index;
        private ulong _remaining;

        internal Enumerator(ulong[]? words)
        {
            _words = words;
            _index = -1;
            _remaining = 0;
            Current = -1;
        }

        /// <summary>Gets the current CPU number.</summary>
        public int Current { readonly get; private set; }

        /// <inheritdoc/>
        readonly object IEnumerator.Current => Current;

        /// <summary>Advances to the next CPU number.</summary>
        /// <returns><see langword="false"/> when there are no more CPUs.</returns>
        public bool MoveNext()
        {
            if (_words is null)
            {
                return false;
            }

            while (_remaining == 0)
            {
                if (++_index >= _words.Length)
                {
                    _index = _words.Length;
                    return false;
                }

                _remaining = _words[_index];
            }

            Current = (_index * 64) + BitOperations.TrailingZeroCount(_remaining);
            _remaining &= _remaining - 1;
            return true;
        }

        /// <summary>Restarts the enumeration.</summary>
        public void Reset()
        {
            _index = -1;
            _remaining = 0;
            Current = -1;
        }

        /// <summary>Does nothing; the enumerator holds no resources.</summary>
        public readonly void Dispose()
        {
        }
    }
}
