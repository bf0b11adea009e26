using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.IO;

/// <summary>A <see cref="Stream"/> over a <see cref="LocalConnection"/>, for APIs that take streams
/// (<c>SslStream</c>, serializers). Asynchronous only: a blocking read on the executor thread would stall its core.</summary>
internal sealed class LocalConnectionStream : Stream
{
    private readonly LocalConnection _connection;
    private readonly bool _ownsConnection;

    public LocalConnectionStream(LocalConnection connection, bool ownsConnection)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException("A connection has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("A connection cannot seek.");
        set => throw new NotSupportedException("A connection cannot seek.");
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _connection.ReceiveAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _connection.SendAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask; // sends are not buffered

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw SyncNotSupported();

    public override void Write(byte[] buffer, int offset, int count) => throw SyncNotSupported();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A connection cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A connection has no length.");

    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsConnection)
        {
            _connection.Dispose();
        }

        base.Dispose(disposing);
    }

    private static NotSupportedException SyncNotSupported() =>
        new("A LocalConnection stream is asynchronous only: a blocking call would stall the executor's core. Use ReadAsync and WriteAsync.");
}
