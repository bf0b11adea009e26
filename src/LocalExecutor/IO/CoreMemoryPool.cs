using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace ThreadPerCore.IO;

/// <summary>
/// The buffers of one executor's connection pipes: fixed-size blocks kept in a free list that only the executor's
/// thread touches, so renting and returning cost a few instructions and a warm core allocates nothing.
/// </summary>
/// <remarks>
/// <see cref="ArrayPool{T}.Shared"/> keeps a few dozen arrays per size for a single-CPU process. A reactor that
/// dispatches a batch of readiness events fills one buffer per ready connection before the application consumes any,
/// so a batch of a few hundred connections empties the shared pool and every further rent allocates; this pool has
/// no such ceiling below <see cref="MaxRetainedBlocks"/>. Blocks returned on another thread (an application that reads
/// a pipe off the core) come back through a concurrent queue.
/// </remarks>
internal sealed class CoreMemoryPool : MemoryPool<byte>
{
    /// <summary>The block size: the pipes' segment size.</summary>
    public const int BlockSize = 4096;

    /// <summary>Free blocks kept beyond this are dropped for the GC: 64 MiB per core.</summary>
    public const int MaxRetainedBlocks = 16 * 1024;

    private readonly LocalExecutor _executor;
    private readonly ConcurrentQueue<Block> _returnedElsewhere = new();
    private Block[] _free = new Block[256];
    private int _freeCount;

    public CoreMemoryPool(LocalExecutor executor)
    {
        _executor = executor;
    }

    public override int MaxBufferSize => BlockSize;

    /// <summary>Free blocks held now (owner thread's count, for tests).</summary>
    internal int FreeBlocks => _freeCount;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (!_executor.IsOwnerThread)
        {
            return new Block(this); // off the core: a fresh block, which joins the pool when returned
        }

        if (_freeCount == 0)
        {
            while (_returnedElsewhere.TryDequeue(out Block? returned))
            {
                Push(returned);
            }

            if (_freeCount == 0)
            {
                return new Block(this);
            }
        }

        Block block = _free[--_freeCount];
        _free[_freeCount] = null!;
        block.IsRented = true;
        return block;
    }

    protected override void Dispose(bool disposing)
    {
        // Blocks are managed arrays: dropping the lists is all there is to release.
        _free = [];
        _freeCount = 0;
        _returnedElsewhere.Clear();
    }

    private void Return(Block block)
    {
        if (_executor.IsOwnerThread)
        {
            Push(block);
        }
        else if (_returnedElsewhere.Count < MaxRetainedBlocks)
        {
            _returnedElsewhere.Enqueue(block);
        }
    }

    private void Push(Block block)
    {
        if (_freeCount == _free.Length)
        {
            if (_freeCount >= MaxRetainedBlocks)
            {
                return; // enough kept: let the GC have this one
            }

            Array.Resize(ref _free, _free.Length * 2);
        }

        _free[_freeCount++] = block;
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly CoreMemoryPool _pool;
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize);

        public Block(CoreMemoryPool pool)
        {
            _pool = pool;
            IsRented = true;
        }

        public bool IsRented { get; set; }

        public Memory<byte> Memory
        {
            get
            {
                ObjectDisposedException.ThrowIf(!IsRented, this);
                return _array;
            }
        }

        public void Dispose()
        {
            Debug.Assert(IsRented, "a block is returned once per rent");
            if (IsRented)
            {
                IsRented = false;
                _pool.Return(this);
            }
        }
    }
}
