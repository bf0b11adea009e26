using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Tests.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>
/// The executor thread's stack: <see cref="LocalExecutorOptions.StackSize"/> is honoured, and the default (16 MiB) is
/// twice the Linux thread default, because synchronously completing <see cref="LocalTask"/> methods recurse on it at
/// about half a kilobyte a level (about 16,000 levels fit in 8 MiB).
/// </summary>
public sealed class StackSizeTests
{
    [LinuxFact]
    public async Task The_executor_thread_gets_the_default_stack_size()
    {
        await using var executor = new LocalExecutor();

        long size = await executor.OnExecutor(CurrentThreadStackSize);

        size.Should().BeGreaterThanOrEqualTo(LocalExecutorOptions.DefaultStackSize);
    }

    [LinuxFact]
    public async Task The_executor_thread_gets_the_stack_size_it_was_given()
    {
        const int Size = 32 * 1024 * 1024;
        await using var executor = new LocalExecutor(new LocalExecutorOptions { StackSize = Size });

        long size = await executor.OnExecutor(CurrentThreadStackSize);

        size.Should().BeGreaterThanOrEqualTo(Size).And.BeLessThan(Size + (1024 * 1024));
    }

    [Fact]
    public async Task A_large_stack_holds_deep_synchronous_LocalTask_recursion()
    {
        // 60,000 levels overflow 16 MiB (and the runtime's default 8 MiB); 64 MiB holds them in Debug and Release builds.
        await using var executor = new LocalExecutor(new LocalExecutorOptions { StackSize = 64 * 1024 * 1024 });

        int depth = await executor.Start(() => RecurseAsync(60_000)).Within("the recursion");

        depth.Should().Be(60_000);
    }

    [Fact]
    public void A_negative_StackSize_is_rejected()
    {
        FluentActions.Invoking(() => new LocalExecutor(new LocalExecutorOptions { StackSize = -1 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.StackSize");
    }

    private static async LocalTask<int> RecurseAsync(int levels)
    {
        if (levels == 0)
        {
            return 0;
        }

        return await RecurseAsync(levels - 1) + 1; // completes synchronously: each level nests on the stack
    }

    /// <summary>The calling thread's stack size as the C library reports it (pthread_getattr_np).</summary>
    private static long CurrentThreadStackSize()
    {
        IntPtr attributes = Marshal.AllocHGlobal(256); // pthread_attr_t is 56 bytes on glibc x64/arm64
        try
        {
            Native.pthread_getattr_np(Native.pthread_self(), attributes).Should().Be(0);
            try
            {
                Native.pthread_attr_getstack(attributes, out _, out nuint size).Should().Be(0);
                return (long)size;
            }
            finally
            {
                _ = Native.pthread_attr_destroy(attributes);
            }
        }
        finally
        {
            Marshal.FreeHGlobal(attributes);
        }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = false)]
        public static extern IntPtr pthread_self();

        [DllImport("libc", SetLastError = false)]
        public static extern int pthread_getattr_np(IntPtr thread, IntPtr attributes);

        [DllImport("libc", SetLastError = false)]
        public static extern int pthread_attr_getstack(IntPtr attributes, out IntPtr address, out nuint size);

        [DllImport("libc", SetLastError = false)]
        public static extern int pthread_attr_destroy(IntPtr attributes);
    }
}
