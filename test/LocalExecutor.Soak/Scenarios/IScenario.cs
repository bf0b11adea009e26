using System.Threading.Tasks;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>One family of cross-thread paths: it runs rounds until the stop signal, checking its invariants at the end of
/// each round, and returns after the round in progress.</summary>
internal interface IScenario
{
    string Name { get; }

    Task RunAsync(SoakContext context);
}
