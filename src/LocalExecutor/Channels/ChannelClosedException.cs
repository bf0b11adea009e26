using System;

namespace ThreadPerCore.Channels;

/// <summary>
/// The channel was closed: thrown by a send into a closed channel (the item is not delivered), by a send that was
/// waiting for room when the channel closed, and by a receive once the channel is closed and every item sent before
/// the close has been received.
/// </summary>
public sealed class ChannelClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ChannelClosedException()
        : base("The channel is closed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ChannelClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ChannelClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
