using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Diagnostics;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Stats;

// The listener is process-wide and other tests run executors at the same time: every assertion picks the measurements
// of its own executor by the executor id attribute.
public sealed class MeterTests
{
    private static readonly string[] ExecutorInstruments =
    [
        "localexecutor.tasks.run", "localexecutor.slices", "localexecutor.busy.time", "localexecutor.parked.time",
        "localexecutor.spin.time", "localexecutor.parks", "localexecutor.foreign_wakes", "localexecutor.stalls", "localexecutor.latency_preemptions",
        "localexecutor.cross_thread_items", "localexecutor.timers.fired", "localexecutor.timers.pending",
        "localexecutor.queue.length", "localexecutor.inbox.length", "localexecutor.task_queues", "localexecutor.io.polls",
        "localexecutor.io.events", "localexecutor.io.descriptors",
    ];

    private static readonly string[] QueueInstruments =
    [
        "localexecutor.task_queue.cpu.time", "localexecutor.task_queue.selections", "localexecutor.task_queue.tasks.run",
        "localexecutor.task_queue.length", "localexecutor.task_queue.shares",
    ];

    [Fact]
    public async Task Every_documented_instrument_reports_a_running_executor_with_its_name_and_id()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "meter-names" });
        await executor.Spawn(() => 1).Within("a spawn");

        using var recorder = new Recorder();
        recorder.Collect();

        foreach (string name in ExecutorInstruments)
        {
            Recorded measurement = recorder.Single(name, executor);
            measurement.Tags[LocalExecutorMeter.ExecutorTag].Should().Be("meter-names");
            measurement.Tags.Should().NotContainKey(LocalExecutorMeter.CpuTag, "an unbound executor has no CPU");
        }

        foreach (string name in QueueInstruments)
        {
            recorder.Single(name, executor, queue: "default").Tags[LocalExecutorMeter.TaskQueueIdTag].Should().Be(0);
        }

        recorder.Instruments.Should().Contain(ExecutorInstruments.Concat(QueueInstruments).Append("localexecutor.late_work"));
        recorder.Instruments.Should().OnlyContain(name => name.StartsWith("localexecutor.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Observed_counters_lie_between_the_stats_read_before_and_after_the_collection()
    {
        await using var executor = new LocalExecutor();
        for (int i = 0; i < 50; i++)
        {
            await executor.Spawn(() => i).Within("a spawn");
        }

        ExecutorStats before = executor.GetStats();
        using var recorder = new Recorder();
        recorder.Collect();
        ExecutorStats after = executor.GetStats();

        before.TasksRun.Should().BeGreaterThanOrEqualTo(50);
        recorder.Single("localexecutor.tasks.run", executor).Value.Should().BeInRange(before.TasksRun, after.TasksRun);
        recorder.Single("localexecutor.parks", executor).Value.Should().BeInRange(before.Parks, after.Parks);
        recorder.Single("localexecutor.foreign_wakes", executor).Value.Should().BeInRange(before.ForeignWakeups, after.ForeignWakeups);
        recorder.Single("localexecutor.parked.time", executor).Value.Should()
            .BeInRange(before.ParkedTime.TotalSeconds, after.ParkedTime.TotalSeconds);
        recorder.Single("localexecutor.task_queues", executor).Value.Should().Be(1);
    }

    [Fact]
    public async Task Each_task_queue_is_reported_with_its_own_counters_and_shares()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle batch = executor.CreateTaskQueue("batch", 250);
        for (int i = 0; i < 30; i++)
        {
            await executor.Spawn(batch, () => i).Within("a spawn into the batch queue");
        }

        using var recorder = new Recorder();
        recorder.Collect();

        Recorded ran = recorder.Single("localexecutor.task_queue.tasks.run", executor, queue: "batch");
        ran.Value.Should().BeInRange(30, batch.GetStats().ItemsRun);
        ran.Tags[LocalExecutorMeter.TaskQueueIdTag].Should().Be(batch.Id);
        recorder.Single("localexecutor.task_queue.shares", executor, queue: "batch").Value.Should().Be(250);
        recorder.Single("localexecutor.task_queue.selections", executor, queue: "batch").Value.Should().BeGreaterThanOrEqualTo(1);
        recorder.Single("localexecutor.task_queues", executor).Value.Should().Be(2);
    }

    [Fact]
    public async Task A_stall_is_counted_by_localexecutor_stalls()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "meter-stalls", StallThreshold = TimeSpan.FromMilliseconds(100) });
        using var recorder = new Recorder();
        recorder.Collect();
        recorder.Single("localexecutor.stalls", executor).Value.Should().Be(0, "nothing has stalled yet");
        using var reported = new System.Threading.ManualResetEventSlim();
        executor.Stalled += (_, _) => reported.Set();
        using var release = new System.Threading.ManualResetEventSlim();

        // The turn blocks until its stall has been reported, so it is one stall, counted before the report.
        LocalTask stalling = executor.Spawn(() => release.Wait(Bounded.Timeout));
        reported.Wait(Bounded.Timeout).Should().BeTrue("a turn blocked past the threshold is reported");
        release.Set();
        await stalling.Within("the stalled turn");
        recorder.Clear();
        recorder.Collect();

        recorder.Single("localexecutor.stalls", executor).Value.Should().Be(1);
        executor.GetStats().Stalls.Should().Be(1);
    }

    [Fact]
    public void A_pinned_executor_carries_its_cpu()
    {
        int cpu = SystemCpus.GetAvailableCpus().Last();
        using var executor = new LocalExecutor(new LocalExecutorOptions { Placement = Placement.Fixed(cpu) });

        using var recorder = new Recorder();
        recorder.Collect();

        recorder.Single("localexecutor.busy.time", executor).Tags[LocalExecutorMeter.CpuTag].Should().Be(cpu);
    }

    [Fact]
    public async Task An_executor_is_reported_from_its_start_until_its_thread_exits()
    {
        var executor = new LocalExecutor();
        using var recorder = new Recorder();
        recorder.Collect();
        recorder.Of("localexecutor.tasks.run", executor).Should().ContainSingle("a started executor is reported");

        await executor.DisposeAsync();
        recorder.Clear();
        recorder.Collect();

        recorder.Of("localexecutor.tasks.run", executor).Should().BeEmpty("a stopped executor is no longer reported");
        recorder.Of("localexecutor.task_queue.length", executor).Should().BeEmpty();
    }

    [Fact]
    public async Task Late_work_is_counted_as_it_arrives_after_the_executor_stopped()
    {
        using var recorder = new Recorder();
        // The suspended method cannot end before the stop; a short drain instead of the default 5 s.
        LocalExecutor executor = new(new LocalExecutorOptions { DrainTimeout = TimeSpan.FromMilliseconds(100) });
        var late = new TaskCompletionSource<int>();
        var resumed = new TaskCompletionSource();
        _ = executor.Spawn(async () =>
        {
            await late.Task; // suspended through the executor's synchronization context
            resumed.SetResult();
        });
        await executor.Spawn(() => 0).Within("the executor to reach the await");
        await executor.DisposeAsync();
        long lateBefore = executor.LateWorkItems;

        late.SetResult(1); // the continuation arrives after the stop: late work
        await resumed.Task.Within("the late continuation");

        executor.LateWorkItems.Should().BeGreaterThan(lateBefore);
        recorder.Of("localexecutor.late_work", executor).Sum(m => m.Value).Should().Be(executor.LateWorkItems,
            "every late item is added to the counter as it arrives, with the executor's attributes");
    }

    private sealed record Recorded(string Instrument, double Value, Dictionary<string, object?> Tags);

    /// <summary>Records every measurement of the LocalExecutor meter.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<Recorded> _recorded = new();

        public Recorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LocalExecutorMeter.Name)
                {
                    Instruments.Add(instrument.Name);
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Add(i, value, tags));
            _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Add(i, value, tags));
            _listener.Start();
        }

        public ConcurrentBag<string> Instruments { get; } = [];

        public void Collect() => _listener.RecordObservableInstruments();

        public void Clear() => _recorded.Clear();

        public IEnumerable<Recorded> Of(string instrument, LocalExecutor executor, string? queue = null) =>
            _recorded.Where(m => m.Instrument == instrument
                && Equals(m.Tags[LocalExecutorMeter.ExecutorIdTag], executor.Id)
                && (queue is null || Equals(m.Tags[LocalExecutorMeter.TaskQueueTag], queue)));

        public Recorded Single(string instrument, LocalExecutor executor, string? queue = null)
        {
            Recorded[] found = Of(instrument, executor, queue).ToArray();
            found.Should().ContainSingle($"{instrument} reports executor {executor.Id}{(queue is null ? "" : $" queue {queue}")} once per collection");
            return found[0];
        }

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            _recorded.Enqueue(new Recorded(instrument.Name, value, copy));
        }
    }
}
