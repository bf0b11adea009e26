using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Web;
using Xunit;

namespace ThreadPerCore.AspNetCore.Tests;

/// <summary>The web sample's command line (<see cref="WebOptions.Parse"/>), which build/bench-web.sh drives.</summary>
public sealed class WebOptionsTests
{
    [Fact]
    public void No_arguments_run_the_LocalExecutor_transport_on_the_default_port_and_every_CPU()
    {
        WebOptions options = WebOptions.Parse([]);

        options.Should().Be(new WebOptions { Sockets = false, InlineScheduling = false, Port = 5080, Bind = "127.0.0.1", Cores = null });
        options.TransportName.Should().Be("local");
    }

    [Theory]
    [InlineData(new[] { "--transport", "local" }, "local")]
    [InlineData(new[] { "--transport", "sockets" }, "sockets")]
    [InlineData(new[] { "--transport", "sockets", "--inline" }, "sockets+inline")]
    [InlineData(new[] { "--inline", "--transport", "sockets" }, "sockets+inline")]
    public void Transport_and_inline_choose_the_server(string[] args, string transport)
    {
        WebOptions options = WebOptions.Parse(args);

        options.TransportName.Should().Be(transport);
        options.Sockets.Should().Be(transport != "local");
        options.InlineScheduling.Should().Be(transport == "sockets+inline");
    }

    [Fact]
    public void Port_bind_and_cores_are_read()
    {
        WebOptions options = WebOptions.Parse(["--port", "0", "--bind", "0.0.0.0", "--cores", "3"]);

        options.Should().Be(new WebOptions { Port = 0, Bind = "0.0.0.0", Cores = 3 });
    }

    [Theory]
    [InlineData(new[] { "--transport", "uring" }, "--transport is 'local' or 'sockets', not 'uring'.")]
    [InlineData(new[] { "--inline" }, "--inline applies to --transport sockets only*")]
    [InlineData(new[] { "--port" }, "--port needs a value*")]
    [InlineData(new[] { "--port", "http" }, "--port takes a whole number from 0 to 65535, not 'http'.")]
    [InlineData(new[] { "--port", "70000" }, "--port takes a whole number from 0 to 65535, not '70000'.")]
    [InlineData(new[] { "--port", "-1" }, "--port takes a whole number from 0 to 65535, not '-1'.")]
    [InlineData(new[] { "--cores", "0" }, "--cores takes a whole number from 1 to 2147483647, not '0'.")]
    [InlineData(new[] { "--bind", "localhost" }, "--bind takes an IP address*not 'localhost'.")]
    [InlineData(new[] { "--threads", "4" }, "Unknown option '--threads' (--transport local|sockets, --inline, --port N, --bind ADDRESS, --cores N).")]
    public void A_bad_argument_fails_with_a_message_naming_the_option_and_what_it_takes(string[] args, string message)
    {
        Action parse = () => WebOptions.Parse(args);

        parse.Should().Throw<ArgumentException>().WithMessage(message);
    }

    [Fact]
    public async Task The_sample_prints_the_mistake_and_exits_with_code_2()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "LocalExecutor.Web.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { dll, "--transport", "sockets", "--port", "http" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using Process sample = Process.Start(start)!;
        Task<string> error = sample.StandardError.ReadToEndAsync();
        Task<string> printed = sample.StandardOutput.ReadToEndAsync();
        try
        {
            await sample.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!sample.HasExited)
            {
                sample.Kill();
            }
        }

        sample.ExitCode.Should().Be(2);
        (await error).Trim().Should().Be("--port takes a whole number from 0 to 65535, not 'http'.");
        (await printed).Should().BeEmpty("nothing starts");
    }
}
