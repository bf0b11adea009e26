using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.Threading;

namespace ThreadPerCore.Benchmarks.Infrastructure;

/// <summary>
/// The vs-threading peer: a dedicated "main thread" that pumps a <see cref="SingleThreadedSynchronizationContext"/>
/// (PushFrame) and a <see cref="JoinableTaskContext"/> bound to it, the way a UI-less app uses JTF. Work gets there
/// with <c>JoinableTaskFactory.RunAsync</c> + <c>SwitchToMainThreadAsync</c>.
/// </summary>
internal sealed class VsThreadingMainThread : IDisposable
{
    private readonly Thread _thread;
    private SingleThreadedSynchronizationContext _syncContext = null!;
    private SingleThreadedSynchronizationContext.Frame _frame = null!;

    public VsThreadingMainThread(int cpu)
    {
        using var ready = new ManualResetEventSlim();
        _thread = new Thread(() =>
        {
            Cpus.PinCurrentThread(cpu);
            _syncContext = new SingleThreadedSynchronizationContext(); // must be created on the pumping thread
            SynchronizationContext.SetSynchronizationContext(_syncContext);
            Context = new JoinableTaskContext(Thread.CurrentThread, _syncContext);
            Scheduler = TaskScheduler.FromCurrentSynchronizationContext();
            _frame = new SingleThreadedSynchronizationContext.Frame();
            ready.Set();
            _syncContext.PushFrame(_frame);
        })
        {
            IsBackground = true,
            Name = "vs-threading main thread",
        };
        _thread.Start();
        ready.Wait();
    }

    public JoinableTaskContext Context { get; private set; } = null!;

    public JoinableTaskFactory Factory => Context.Factory;

    /// <summary>A TaskScheduler over the main thread's SingleThreadedSynchronizationContext (vs-threading has none of its own).</summary>
    public TaskScheduler Scheduler { get; private set; } = null!;

    public int ManagedThreadId => _thread.ManagedThreadId;

    /// <summary>Runs <paramref name="body"/> on the main thread through JTF and blocks the caller until it is done.</summary>
    public T Run<T>(Func<Task<T>> body) => Start(body).GetAwaiter().GetResult();

    /// <summary>Starts <paramref name="body"/> on the main thread through <c>JoinableTaskFactory.RunAsync</c>.</summary>
    public Task<T> Start<T>(Func<Task<T>> body)
    {
        JoinableTaskFactory factory = Factory;
        return factory.RunAsync(async () =>
        {
            await factory.SwitchToMainThreadAsync();
            return await body();
        }).Task;
    }

    public void Dispose()
    {
        _syncContext.Post(static frame => ((SingleThreadedSynchronizationContext.Frame)frame!).Continue = false, _frame);
        _thread.Join();
        Context.Dispose();
    }
}
