using System;
using System.Threading;

namespace ThreadPerCore.Soak;

/// <summary>A thread that keeps a CPU busy for the whole run, so executors are descheduled at arbitrary points.</summary>
internal sealed class CpuHog : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public CpuHog()
    {
        _thread = new Thread(Spin) { IsBackground = true, Name = "soak-cpu-hog" };
        _thread.Start();
    }

    public long Spins { get; private set; }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Spin()
    {
        long spins = 0;
        while (!_stop)
        {
            Thread.SpinWait(1000);
            spins++;
        }

        Spins = spins;
    }
}
