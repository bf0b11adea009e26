using System;
using ThreadPerCore.Probes;

// Each scenario prints "key=value" lines and exits 0 when it ran to its end; the test judges the values.
return args is ["descriptor-exhaustion"] ? DescriptorExhaustion.Run() : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: LocalExecutor.Probes descriptor-exhaustion");
    return 2;
}
