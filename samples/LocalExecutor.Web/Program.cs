using System;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using ThreadPerCore.Web;

// dotnet run -c Release --project samples/LocalExecutor.Web -- [--transport local|sockets] [--inline] [--port 5080] [--cores N]
WebOptions options;
try
{
    options = WebOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

await using WebApplication app = WebApp.Build(options);
await app.StartAsync();
Console.WriteLine($"Listening on {string.Join(", ", app.Urls)} with the {options.TransportName} transport; Ctrl+C stops.");
await app.WaitForShutdownAsync();
return 0;
