using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace ThreadPerCore.Tests;

/// <summary>Runs a scenario of LocalExecutor.Probes in a process of its own and returns the key=value lines it printed.</summary>
internal static class Probe
{
    public static Dictionary<string, string> Run(string scenario)
    {
        string probe = Path.Combine(AppContext.BaseDirectory, "LocalExecutor.Probes.dll");
        var start = new ProcessStartInfo("dotnet", [probe, scenario])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Threads the runtime would start lazily (tiering, background GC) are kept from starting at a bad moment.
        start.Environment["DOTNET_TieredCompilation"] = "0";
        start.Environment["DOTNET_TieredPGO"] = "0";
        start.Environment["DOTNET_gcConcurrent"] = "0";
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the probe.");
        string output = process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(90)).GetAwaiter().GetResult();
        string errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The probe '{scenario}' did not exit. Output:\n{output}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The probe '{scenario}' exited with {process.ExitCode}.\nOutput:\n{output}\nErrors:\n{errors}");
        }

        var values = new Dictionary<string, string>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }
}
