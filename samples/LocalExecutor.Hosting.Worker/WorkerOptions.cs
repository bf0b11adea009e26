using System;

namespace ThreadPerCore.Hosting.Worker;

/// <summary>The sample's own settings (section <c>"Worker"</c>).</summary>
internal sealed class WorkerOptions
{
    /// <summary>Stop the host after this long; null runs until the host is stopped (Ctrl+C).</summary>
    public TimeSpan? RunFor { get; set; }

    /// <summary>How many keys the work is spread over.</summary>
    public int Keys { get; set; } = 64;
}
