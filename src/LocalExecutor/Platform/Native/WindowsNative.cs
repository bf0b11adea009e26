using System;
using System.Runtime.InteropServices;

namespace ThreadPerCore.Platform.Native;

/// <summary>The few Win32 and NT functions the platform layer calls on Windows.</summary>
internal static partial class WindowsNative
{
    private const string Kernel32 = "kernel32.dll";
    private const string NtDll = "ntdll.dll";

    /// <summary>The <c>ThreadBasicInformation</c> class of <c>NtQueryInformationThread</c>.</summary>
    internal const int ThreadBasicInformationClass = 0;

    /// <summary><c>HANDLE GetCurrentThread(void)</c>: a pseudo handle for the calling thread.</summary>
    [LibraryImport(Kernel32)]
    internal static partial IntPtr GetCurrentThread();

    /// <summary><c>HANDLE GetCurrentProcess(void)</c>: a pseudo handle for the calling process.</summary>
    [LibraryImport(Kernel32)]
    internal static partial IntPtr GetCurrentProcess();

    /// <summary><c>DWORD_PTR SetThreadAffinityMask(HANDLE, DWORD_PTR)</c>: the previous mask, or 0 on failure.</summary>
    [LibraryImport(Kernel32, SetLastError = true)]
    internal static partial nuint SetThreadAffinityMask(IntPtr thread, nuint mask);

    /// <summary><c>BOOL GetProcessAffinityMask(HANDLE, PDWORD_PTR, PDWORD_PTR)</c>.</summary>
    [LibraryImport(Kernel32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GetProcessAffinityMask(IntPtr process, out nuint processMask, out nuint systemMask);

    /// <summary><c>BOOL QueryThreadCycleTime(HANDLE, PULONG64)</c>: the CPU cycles (at the constant time-stamp counter
    /// rate) the thread has used, in user and kernel mode.</summary>
    [LibraryImport(Kernel32)]
    [SuppressGCTransition]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool QueryThreadCycleTime(IntPtr thread, out ulong cycles);

    /// <summary><c>DWORD GetCurrentProcessorNumber(void)</c>: the processor, within its group, running the calling thread.</summary>
    [LibraryImport(Kernel32)]
    internal static partial uint GetCurrentProcessorNumber();

    /// <summary><c>NTSTATUS NtQueryInformationThread(HANDLE, THREADINFOCLASS, PVOID, ULONG, PULONG)</c>.</summary>
    [LibraryImport(NtDll)]
    internal static partial int NtQueryInformationThread(
        IntPtr thread, int informationClass, out ThreadBasicInformation information, int length, out int returnLength);

    /// <summary>The <c>THREAD_BASIC_INFORMATION</c> structure.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ThreadBasicInformation
    {
        /// <summary>The exit status.</summary>
        public int ExitStatus;

        /// <summary>The thread environment block.</summary>
        public IntPtr TebBaseAddress;

        /// <summary>The process id half of <c>CLIENT_ID</c>.</summary>
        public IntPtr UniqueProcess;

        /// <summary>The thread id half of <c>CLIENT_ID</c>.</summary>
        public IntPtr UniqueThread;

        /// <summary>The thread's affinity mask within its processor group.</summary>
        public nuint AffinityMask;

        /// <summary>The dynamic priority.</summary>
        public int Priority;

        /// <summary>The base priority.</summary>
        public int BasePriority;
    }
}
