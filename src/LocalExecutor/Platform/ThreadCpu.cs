namespace ThreadPerCore.Platform;

/// <summary>What the operating system says about the calling thread's CPU, for logs and checks.</summary>
public static class ThreadCpu
{
    /// <summary>The CPU the calling thread runs on right now (exact when the thread is pinned); -1 where unknown.</summary>
    public static int Current => ThreadAffinity.GetCurrentCpu();

    /// <summary>The CPUs the calling thread may run on, as the operating system reports them; null where unknown.</summary>
    public static CpuSet? Allowed => ThreadAffinity.GetCurrentThreadAffinity();
}
