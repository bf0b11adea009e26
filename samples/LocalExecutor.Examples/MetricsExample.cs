using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading.Tasks;
using ThreadPerCore.Diagnostics;

namespace ThreadPerCore.Examples;

/// <summary>README: "Metrics".</summary>
internal static class MetricsExample
{
    public static async Task RunAsync()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "metrics-demo" });
        for (int i = 0; i < 100; i++)
        {
            await executor.Spawn(() => i);
        }

        // What dotnet-counters and OpenTelemetry see, read in process with a MeterListener.
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LocalExecutorMeter.Name && instrument.Name is "localexecutor.tasks.run" or "localexecutor.parks")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == LocalExecutorMeter.ExecutorTag && Equals(tag.Value, executor.Name))
                {
                    Console.WriteLine($"{instrument.Name} {{executor={tag.Value}}} = {value}");
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
    }
}
