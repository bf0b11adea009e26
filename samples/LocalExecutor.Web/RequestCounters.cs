using System;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.AspNetCore.Http;
using ThreadPerCore.AspNetCore;

namespace ThreadPerCore.Web;

/// <summary>
/// Counts requests and where their pipeline ran: on the connection's core (the LocalExecutor transport's executor
/// thread) or off it (the thread pool). Each core counts into its own padded slot with plain writes; requests off the
/// core use an atomic add. <c>GET /stats</c> reports them with the process's allocation counter, so two reads around a
/// load give bytes allocated and off-core requests per request.
/// </summary>
public sealed class RequestCounters
{
    private readonly PaddedCounter[] _onCore;
    private long _offCore;

    /// <summary>Counters for <paramref name="cores"/> cores.</summary>
    public RequestCounters(int cores)
    {
        _onCore = new PaddedCounter[Math.Max(cores, 1)];
    }

    /// <summary>Requests whose pipeline started on their connection's core.</summary>
    public long OnCore
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _onCore.Length; i++)
            {
                sum += Volatile.Read(ref _onCore[i].Value);
            }

            return sum;
        }
    }

    /// <summary>Requests whose pipeline ran on any other thread.</summary>
    public long OffCore => Interlocked.Read(ref _offCore);

    /// <summary>Counts one request of <paramref name="context"/>, from the thread running its pipeline.</summary>
    public void Count(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<ILocalExecutorConnectionFeature>() is { } core && core.Executor.IsOwnerThread && core.Core < _onCore.Length)
        {
            _onCore[core.Core].Value++; // this slot is written by this core's thread only
        }
        else
        {
            Interlocked.Increment(ref _offCore);
        }
    }

    /// <summary>One counter on a cache line of its own, so cores do not share lines.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCounter
    {
        [FieldOffset(64)]
        public long Value;
    }
}
