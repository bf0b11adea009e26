using System;
using Xunit;

namespace ThreadPerCore.Redis.Tests;

/// <summary>A fact that runs on Linux only: it sends signals with <c>kill(1)</c> and reads /proc.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Sends signals with kill(1) and reads /proc: Linux only.";
        }
    }
}
