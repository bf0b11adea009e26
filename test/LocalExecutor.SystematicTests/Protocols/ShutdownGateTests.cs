using System.Collections.Concurrent;
using System.Threading;
using Microsoft.Coyote.Specifications;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// Foreign enqueue against shutdown: the producer side of <c>LocalExecutor.EnqueueForeign</c> and the owner side of
/// <c>RunLoop</c>/<c>ShutdownOnOwner</c>, over the shipped <see cref="ShutdownGate"/> and <see cref="Parker"/> with a
/// concurrent queue as the inbox. Whatever the interleaving of a stop request, producers of new work (spawns, which
/// may be refused) and producers of wakes (which may not), every item ends exactly once: the owner takes it before
/// or after it closes the gate, or its producer is refused (new work only) or handles it late (wakes only: a spawn
/// that returned normally must have reached the owner).
/// </summary>
public sealed class ShutdownGateTests(ITestOutputHelper output)
{
    [Fact]
    public void No_interleaving_of_spawns_wakes_and_a_stop_loses_doubles_or_strands_an_item() =>
        Systematic.AssertNoBug(() => SpawnsAndWakesAgainstAStop(new RealGate()));

    [Fact]
    public void The_harness_finds_defect_2_in_the_gate_that_checked_the_lifecycle_before_entering()
    {
        (string bug, long explored, string trace) = Systematic.AssertFindsBugWithTrace(() => SpawnsAndWakesAgainstAStop(new CheckThenEnterGate()));
        output.WriteLine($"Found after {explored} schedule(s): {bug}");
        output.WriteLine(trace);
        Assert.Contains("never ends", bug, System.StringComparison.Ordinal);
    }

    // Item ids: 0 and 1 are spawns (new work: refused once stopping), 2 is a wake (admitted until the gate closes).
    private const int Items = 3;

    private static bool IsSpawn(int id) => id < 2;

    private static void SpawnsAndWakesAgainstAStop(IGateUnderTest gate)
    {
        // What happened, in order, for the bug report: the schedule in words.
        var events = new ConcurrentQueue<string>();
        gate.Log = events;
        var parker = new Parker();
        var inbox = new ConcurrentQueue<int>();
        int[] takenByOwner = new int[Items];
        int[] handledLate = new int[Items];
        bool[] refused = new bool[Items];

        var owner = new Thread(() =>
        {
            // RunLoop: drain, park until foreign work or the stop; then ShutdownOnOwner: a last drain while stopping,
            // close the gate, and take what was admitted before it closed.
            while (!gate.IsStopRequested)
            {
                while (inbox.TryDequeue(out int id))
                {
                    takenByOwner[id]++;
                }

                parker.Park(Timeout.Infinite, () => !inbox.IsEmpty || gate.IsStopRequested);
            }

            while (inbox.TryDequeue(out int id))
            {
                takenByOwner[id]++;
            }

            events.Enqueue("owner: closes the gate");
            gate.Close();
            events.Enqueue("owner: gate closed, takes what is left");
            while (inbox.TryDequeue(out int id))
            {
                takenByOwner[id]++;
            }
        });

        var producers = new Thread[Items];
        for (int i = 0; i < Items; i++)
        {
            int id = i;
            producers[i] = new Thread(() =>
            {
                // EnqueueForeign.
                string name = IsSpawn(id) ? $"spawn {id}" : $"wake {id}";
                ShutdownGate.Admission admission = gate.Enter(refuseWhenStopping: IsSpawn(id), name);
                events.Enqueue($"{name}: {admission}");
                switch (admission)
                {
                    case ShutdownGate.Admission.Admitted:
                        inbox.Enqueue(id);
                        gate.Exit();
                        parker.Unpark();
                        break;
                    case ShutdownGate.Admission.Refused:
                        refused[id] = true; // the spawn throws ObjectDisposedException: nothing to end
                        break;
                    default:
                        handledLate[id]++;
                        break;
                }
            });
        }

        var stopper = new Thread(() =>
        {
            // RequestStop.
            events.Enqueue("stopper: requests the stop");
            if (gate.RequestStop())
            {
                parker.Unpark();
            }
        });

        owner.Start();
        stopper.Start();
        foreach (Thread producer in producers)
        {
            producer.Start();
        }

        foreach (Thread producer in producers)
        {
            producer.Join();
        }

        stopper.Join();
        owner.Join();
        parker.Dispose();

        string schedule = string.Join("; ", events);
        for (int id = 0; id < Items; id++)
        {
            int ends = takenByOwner[id] + handledLate[id] + (refused[id] ? 1 : 0);
            Specification.Assert(ends == 1, $"item {id} ended {ends} times (owner {takenByOwner[id]}, late {handledLate[id]}, refused {refused[id]}). Schedule: {schedule}");
            Specification.Assert(
                !(IsSpawn(id) && handledLate[id] != 0),
                $"spawn {id} returned its task, but its first wake met a closed gate: the late path has no owner to poll it, so the task never ends. Schedule: {schedule}");
            Specification.Assert(IsSpawn(id) || !refused[id], $"wake {id} was refused: only new work may be. Schedule: {schedule}");
        }
    }

    private interface IGateUnderTest
    {
        ConcurrentQueue<string>? Log { get; set; }

        bool IsStopRequested { get; }

        bool RequestStop();

        ShutdownGate.Admission Enter(bool refuseWhenStopping, string producer);

        void Exit();

        void Close();
    }

    /// <summary>The shipped gate (a struct, kept in place in this box).</summary>
    private sealed class RealGate : IGateUnderTest
    {
        private ShutdownGate _gate;

        public ConcurrentQueue<string>? Log { get; set; }

        public bool IsStopRequested => _gate.IsStopRequested;

        public bool RequestStop() => _gate.RequestStop();

        public ShutdownGate.Admission Enter(bool refuseWhenStopping, string producer) => _gate.Enter(refuseWhenStopping);

        public void Exit() => _gate.Exit();

        public void Close() => _gate.Close();
    }

    /// <summary>
    /// The protocol before the fix of defect 2, as <c>EnqueueForeign</c> and <c>ShutdownOnOwner</c> had it: the lifecycle in
    /// its own field, checked before the producer entered the gate. A spawn can read "running", lose the processor while
    /// the stop is requested and the owner shuts down and closes the gate, then enter, find the gate closed and hand its
    /// first wake to the late path, which had nobody to poll it.
    /// </summary>
    private sealed class CheckThenEnterGate : IGateUnderTest
    {
        private const int Running = 0;
        private const int Stopping = 1;
        private int _lifecycle;
        private int _producerGate;

        public ConcurrentQueue<string>? Log { get; set; }

        public bool IsStopRequested => Volatile.Read(ref _lifecycle) != Running;

        public bool RequestStop() => Interlocked.CompareExchange(ref _lifecycle, Stopping, Running) == Running;

        public ShutdownGate.Admission Enter(bool refuseWhenStopping, string producer)
        {
            if (refuseWhenStopping)
            {
                if (Volatile.Read(ref _lifecycle) != Running)
                {
                    return ShutdownGate.Admission.Refused;
                }

                Log?.Enqueue($"{producer}: checked the lifecycle: running");
            }

            if ((Interlocked.Add(ref _producerGate, 2) & 1) != 0)
            {
                Interlocked.Add(ref _producerGate, -2);
                return ShutdownGate.Admission.Late;
            }

            return ShutdownGate.Admission.Admitted;
        }

        public void Exit() => Interlocked.Add(ref _producerGate, -2);

        public void Close()
        {
            Interlocked.Or(ref _producerGate, 1);
            while ((Volatile.Read(ref _producerGate) & ~1) != 0)
            {
                Thread.Yield();
            }
        }
    }
}
