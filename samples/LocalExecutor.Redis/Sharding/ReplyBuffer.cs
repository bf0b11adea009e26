using System;
using System.Buffers;

namespace ThreadPerCore.Redis.Sharding;

/// <summary>A growable byte buffer that replies are written into on a shard's core and copied out of on the
/// connection's core; reused batch after batch, given back when a large value grew it.</summary>
internal sealed class ReplyBuffer : IBufferWriter<byte>, IDisposable
{
    private const int Initial = 1024;
    private const int Large = 1024 * 1024;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Initial);

    /// <summary>How many bytes were written.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes written from <paramref name="start"/> on, <paramref name="length"/> of them.</summary>
    public ReadOnlySpan<byte> Slice(int start, int length) => _buffer.AsSpan(start, length);

    /// <summary>Forgets what was written; gives back a buffer a large value grew.</summary>
    public void Clear()
    {
        Length = 0;
        if (_buffer.Length > Large)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(Initial);
        }
    }

    /// <inheritdoc />
    public void Advance(int count) => Length += count;

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(Length);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(Length);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Ensure(int sizeHint)
    {
        int needed = Length + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buffer.Length * 2)));
        _buffer.AsSpan(0, Length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
