using System;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

/// <summary>A fact that runs only on Linux, where the platform layer can be checked against the kernel.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Checks Linux kernel behaviour (sched_setaffinity, /proc, /sys).";
        }
    }
}

/// <summary>A theory that runs only on Linux.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Checks Linux kernel behaviour (sched_setaffinity, /proc, /sys).";
        }
    }
}
