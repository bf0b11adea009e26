using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>A raw task whose outcome is mirrored into a <see cref="Task"/> its caller holds (the methods of
/// <see cref="PinnedTaskMethodBuilder{T}"/>): debuggers list that task for the raw task.</summary>
internal interface IPromiseTask
{
    /// <summary>The task the caller holds.</summary>
    Task Promise { get; }
}
