using System.IO.Pipelines;

namespace ThreadPerCore.Redis.Transports;

/// <summary>A reader and a writer as one <see cref="IDuplexPipe"/>.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
