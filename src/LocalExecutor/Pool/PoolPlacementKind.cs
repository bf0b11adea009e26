namespace ThreadPerCore;

/// <summary>The kinds of <see cref="PoolPlacement"/>.</summary>
public enum PoolPlacementKind
{
    /// <summary>One pinned executor per usable CPU.</summary>
    OnePerCpu,

    /// <summary>Pinned executors on CPUs as far apart as possible.</summary>
    Spread,

    /// <summary>Pinned executors on CPUs as close together as possible.</summary>
    Pack,

    /// <summary>Pinned executors on an explicit list of CPUs.</summary>
    Cpus,

    /// <summary>Executors that are not pinned.</summary>
    Unbound,
}
