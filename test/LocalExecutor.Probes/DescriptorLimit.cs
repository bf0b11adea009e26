using System;
using System.Runtime.InteropServices;

namespace ThreadPerCore.Probes;

/// <summary>Lowers the process's soft limit on open descriptors (RLIMIT_NOFILE) until disposed.</summary>
internal sealed partial class DescriptorLimit : IDisposable
{
    private const int RlimitNofile = 7;
    private readonly RLimit _saved;

    private DescriptorLimit(RLimit saved)
    {
        _saved = saved;
    }

    public static DescriptorLimit LowerTo(int limit)
    {
        if (GetRLimit(RlimitNofile, out RLimit saved) != 0)
        {
            throw new InvalidOperationException($"getrlimit failed: {Marshal.GetLastPInvokeError()}");
        }

        var lowered = new RLimit { Current = (ulong)limit, Maximum = saved.Maximum };
        if (SetRLimit(RlimitNofile, in lowered) != 0)
        {
            throw new InvalidOperationException($"setrlimit failed: {Marshal.GetLastPInvokeError()}");
        }

        return new DescriptorLimit(saved);
    }

    public void Dispose() => SetRLimit(RlimitNofile, in _saved);

    /// <summary>Opens descriptors until the limit refuses one (closing them on dispose), so nothing freed after the
    /// limit was set leaves room.</summary>
    public static IDisposable FillRemaining()
    {
        var held = new System.Collections.Generic.List<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        try
        {
            while (held.Count < 10_000)
            {
                held.Add(System.IO.File.OpenHandle("/dev/null"));
            }
        }
        catch (System.IO.IOException)
        {
            // The limit is reached.
        }

        return new Held(held);
    }

    private sealed class Held(System.Collections.Generic.List<Microsoft.Win32.SafeHandles.SafeFileHandle> handles) : IDisposable
    {
        public void Dispose()
        {
            foreach (Microsoft.Win32.SafeHandles.SafeFileHandle handle in handles)
            {
                handle.Dispose();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
