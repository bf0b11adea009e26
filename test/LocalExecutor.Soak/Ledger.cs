using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace ThreadPerCore.Soak;

/// <summary>What the soak counted, per path, and every invariant it saw broken.</summary>
internal sealed class Ledger
{
    private const int KeptViolations = 100;
    private const int KeptPerKind = 5; // so that a frequent kind does not hide a rare one
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, long> _violationsByKind = new(StringComparer.Ordinal);
    private long _violationCount;

    public long ViolationCount => Interlocked.Read(ref _violationCount);

    /// <summary>The counter named <paramref name="name"/> ("scenario.path.outcome"); cache it, it is shared.</summary>
    public Counter Counter(string name) => _counters.GetOrAdd(name, static n => new Counter(n));

    /// <summary>Records a broken invariant: <paramref name="kind"/> groups them in the report, the detail says which.</summary>
    public void Violation(string kind, string detail)
    {
        Interlocked.Increment(ref _violationCount);
        long ofKind = _violationsByKind.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        if (ofKind <= KeptPerKind && _violations.Count < KeptViolations)
        {
            _violations.Enqueue($"[{kind}] {detail}");
            Console.Error.WriteLine($"VIOLATION [{kind}] {detail}");
        }
    }

    /// <summary>Records a violation unless <paramref name="holds"/>.</summary>
    public void Check(bool holds, string kind, Func<string> detail)
    {
        if (!holds)
        {
            Violation(kind, detail());
        }
    }

    public IEnumerable<(string Name, long Value)> Counts =>
        _counters.Values.Select(c => (c.Name, c.Value)).OrderBy(c => c.Name, StringComparer.Ordinal);

    public IEnumerable<(string Kind, long Count)> ViolationKinds =>
        _violationsByKind.Select(v => (v.Key, v.Value)).OrderBy(v => v.Key, StringComparer.Ordinal);

    public IEnumerable<string> FirstViolations => _violations;
}

/// <summary>One shared count.</summary>
internal sealed class Counter(string name)
{
    private long _value;

    public string Name { get; } = name;

    public long Value => Interlocked.Read(ref _value);

    public void Add(long n = 1) => Interlocked.Add(ref _value, n);
}
