using System.Threading.Tasks;

namespace ThreadPerCore.Examples.AnalyzerProof;

// Compiled only with -p:ProveVsThreadingConfig=true: the build must then fail with VSTHRD109 ("Switch instead of
// assert in async methods") on the VerifyAccess call, which the analyzers only know as an asserting method from the
// vs-threading.MainThreadAssertingMethods.txt that LocalExecutor ships. See the README, "JoinableTaskFactory on every core".
internal static class AssertInsteadOfSwitch
{
    public static async Task TouchShardAsync(LocalExecutor executor)
    {
        await Task.Yield();
        executor.VerifyAccess();
    }
}
