using System;
using System.Diagnostics;

namespace ThreadPerCore.Redis.Store;

/// <summary>One key of a shard: its value in a buffer that a later SET reuses when the new value fits.</summary>
[DebuggerDisplay("{System.Text.Encoding.UTF8.GetString(Key)}: {Length} bytes, expires at {ExpiresAt}")]
internal sealed class Entry
{
    public Entry(byte[] key, byte[] buffer)
    {
        Key = key;
        Buffer = buffer;
    }

    /// <summary>The key (also the dictionary's key object).</summary>
    public byte[] Key { get; }

    /// <summary>The value's storage; only the first <see cref="Length"/> bytes are the value.</summary>
    public byte[] Buffer { get; private set; }

    /// <summary>The value's length.</summary>
    public int Length { get; private set; }

    /// <summary>When the key expires, in milliseconds on its shard's clock; 0 when it does not.</summary>
    public long ExpiresAt { get; set; }

    /// <summary>False once the entry left its shard's dictionary (deleted, expired, flushed).</summary>
    public bool Live { get; set; } = true;

    /// <summary>The value.</summary>
    public ReadOnlySpan<byte> Value => Buffer.AsSpan(0, Length);

    /// <summary>Stores <paramref name="value"/>, in place when the buffer holds it without wasting more than half.</summary>
    public void Store(ReadOnlySpan<byte> value)
    {
        if (value.Length > Buffer.Length || Buffer.Length > Math.Max(64, value.Length * 2))
        {
            Buffer = value.Length == 0 ? [] : new byte[value.Length];
        }

        value.CopyTo(Buffer);
        Length = value.Length;
    }

    /// <summary>Gives the value at least <paramref name="capacity"/> bytes of storage and sets its length (for INCR,
    /// which formats the number in place).</summary>
    public Span<byte> Reserve(int capacity, int length)
    {
        if (Buffer.Length < capacity)
        {
            Buffer = new byte[capacity];
        }

        Length = length;
        return Buffer;
    }
}
