using System;
using System.Threading.Tasks;

namespace ThreadPerCore.Examples;

/// <summary>README: "Installing it at app start".</summary>
internal static class RunExample
{
    public static async Task RunAsync()
    {
        int exitCode = await LocalExecutor.RunAsync(async () =>
        {
            await Task.Delay(10);          // resumes on the pinned thread
            Console.WriteLine($"running on {LocalExecutor.Current}");
            return 0;
        }, new LocalExecutorOptions { Placement = Placement.Fixed(0), Name = "main" });

        Console.WriteLine($"exit code {exitCode}");
    }
}
