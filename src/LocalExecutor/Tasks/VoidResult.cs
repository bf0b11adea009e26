namespace ThreadPerCore;

/// <summary>The result type of tasks that produce no value, so one generic task type serves both shapes.</summary>
internal readonly struct VoidResult
{
}
