using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using ThreadPerCore.IO.Native;

namespace ThreadPerCore.IO;

/// <summary>
/// The Linux reactor: one epoll instance per executor with every descriptor registered once, edge-triggered, for all
/// the readiness it wants; plus a level-triggered eventfd, written by a producer only when the owner really sleeps
/// (the parker's handshake decides that) and drained by whichever poll sees it.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class EpollReactor : Reactor
{
    /// <summary>Events taken per wait: enough for a busy core's batch, small enough to dispatch in one go.</summary>
    private const int MaxEvents = 256;

    /// <summary>The eventfd's token; sources are tokened by slot and generation, never this value.</summary>
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly SafeFileHandle _wake;
    private readonly int _wakeFd;
    private readonly byte* _events;

    // The slot table: owner thread only. A free slot's _nextFree links to the next free one (-1 ends the list).
    private ReactorSource?[] _sources = new ReactorSource?[16];
    private uint[] _generations = new uint[16];
    private int[] _nextFree = new int[16];
    private int _freeHead = -1;
    private int _used;
    private bool _disposed;

    private EpollReactor(LocalExecutor executor, int epoll, int wakeFd)
        : base(executor)
    {
        _epoll = epoll;
        _wakeFd = wakeFd;
        _wake = new SafeFileHandle(wakeFd, ownsHandle: true);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * LinuxIo.EpollEventSize));
    }

    public override string Backend => "epoll";

    public static EpollReactor? TryCreateEpoll(LocalExecutor executor, out string? unavailableReason)
    {
        int epoll = LinuxIo.EpollCreate1(LinuxIo.EpollCloexec);
        if (epoll < 0)
        {
            unavailableReason = $"epoll_create1 failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            return null;
        }

        int wake = LinuxIo.EventFd(0, LinuxIo.EfdCloexec | LinuxIo.EfdNonblock);
        if (wake < 0)
        {
            unavailableReason = $"eventfd failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            LinuxIo.Close(epoll);
            return null;
        }

        byte* ev = stackalloc byte[16];
        LinuxIo.WriteEvent(ev, LinuxIo.EpollIn, WakeToken); // level-triggered: a pending wake is seen until drained
        if (LinuxIo.EpollCtl(epoll, LinuxIo.EpollCtlAdd, wake, ev) != 0)
        {
            unavailableReason = $"epoll_ctl(eventfd) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            LinuxIo.Close(wake);
            LinuxIo.Close(epoll);
            return null;
        }

        unavailableReason = null;
        return new EpollReactor(executor, epoll, wake);
    }

    /// <summary>Any thread. The handle's reference count keeps the descriptor open for the duration of the write, so a
    /// producer racing the executor's disposal writes to the eventfd or to nothing, never to a recycled descriptor.</summary>
    protected override void ReleaseCore()
    {
        bool added = false;
        try
        {
            _wake.DangerousAddRef(ref added);
            ulong one = 1;
            LinuxIo.Write(_wakeFd, &one, sizeof(ulong)); // EAGAIN only if the counter is saturated: it is pending anyway
        }
        catch (ObjectDisposedException)
        {
            // The executor is gone; there is no one to wake.
        }
        finally
        {
            if (added)
            {
                _wake.DangerousRelease();
            }
        }
    }

    protected override void RegisterCore(ReactorSource source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int slot = TakeSlot();
        uint interest = LinuxIo.EpollIn | LinuxIo.EpollRdHup | LinuxIo.EpollEt
            | (source.Interest == ReadinessInterest.ReadWrite ? LinuxIo.EpollOut : 0);
        byte* ev = stackalloc byte[16];
        LinuxIo.WriteEvent(ev, interest, ((ulong)_generations[slot] << 32) | (uint)slot);
        if (LinuxIo.EpollCtl(_epoll, LinuxIo.EpollCtlAdd, (int)source.Descriptor, ev) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            FreeSlot(slot);
            throw new IOException($"Executor '{Executor.Name}' could not watch descriptor {source.Descriptor}: epoll_ctl failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        _sources[slot] = source;
        source.Slot = slot;
        source.Generation = _generations[slot];
    }

    protected override void UnregisterCore(ReactorSource source)
    {
        int slot = source.Slot;
        if (!_disposed)
        {
            // Explicit removal (closing would do it too, unless something else holds the descriptor open).
            LinuxIo.EpollCtl(_epoll, LinuxIo.EpollCtlDel, (int)source.Descriptor, null);
        }

        source.Slot = -1;
        FreeSlot(slot);
    }

    protected override int PollCore(int timeoutMilliseconds, out bool released)
    {
        released = false;
        int count = LinuxIo.EpollWait(_epoll, _events, MaxEvents, timeoutMilliseconds);
        if (count <= 0)
        {
            if (count < 0 && Marshal.GetLastPInvokeError() is int errno && errno != LinuxIo.EINTR)
            {
                throw new IOException($"Executor '{Executor.Name}': epoll_wait failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }

            return 0;
        }

        int dispatched = 0;
        for (int i = 0; i < count; i++)
        {
            ulong data = LinuxIo.ReadData(_events, i);
            if (data == WakeToken)
            {
                DrainWake();
                released = true;
                continue;
            }

            int slot = (int)(uint)data;
            ReactorSource? source = (uint)slot < (uint)_sources.Length ? _sources[slot] : null;
            if (source is not null && _generations[slot] == (uint)(data >> 32))
            {
                dispatched++;
                Dispatch(source, LinuxIo.ReadEvents(_events, i));
            }
        }

        return dispatched;
    }

    protected override ReactorSource[] SnapshotSources()
    {
        var live = new ReactorSource[SourceCount];
        int n = 0;
        foreach (ReactorSource? source in _sources)
        {
            if (source is not null && n < live.Length)
            {
                live[n++] = source;
            }
        }

        return live.AsSpan(0, n).ToArray();
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _wake.Dispose();
        LinuxIo.Close(_epoll);
        NativeMemory.Free(_events);
    }

    private void DrainWake()
    {
        ulong value;
        LinuxIo.Read(_wakeFd, &value, sizeof(ulong));
    }

    private int TakeSlot()
    {
        if (_freeHead >= 0)
        {
            int slot = _freeHead;
            _freeHead = _nextFree[slot];
            return slot;
        }

        if (_used == _sources.Length)
        {
            Array.Resize(ref _sources, _used * 2);
            Array.Resize(ref _generations, _used * 2);
            Array.Resize(ref _nextFree, _used * 2);
        }

        return _used++;
    }

    private void FreeSlot(int slot)
    {
        _sources[slot] = null;
        _generations[slot]++; // an event still queued for the old registration no longer matches
        _nextFree[slot] = _freeHead;
        _freeHead = slot;
    }
}
