using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>
/// The shutdown gate on one thread (its interleavings are explored by the Coyote <c>ShutdownGateTests</c>): what it
/// admits in each state, and what a debugger shows of it when an executor will not stop.
/// </summary>
public sealed class ShutdownGateTests
{
    [Fact]
    public void The_debugger_names_the_state_and_the_producers_inside()
    {
        var gate = default(ShutdownGate);
        gate.DebuggerDisplay.Should().Be("running, 0 producer(s) inside");

        gate.Enter(refuseWhenStopping: false).Should().Be(ShutdownGate.Admission.Admitted);
        gate.Enter(refuseWhenStopping: false).Should().Be(ShutdownGate.Admission.Admitted);
        gate.DebuggerDisplay.Should().Be("running, 2 producer(s) inside");

        gate.RequestStop().Should().BeTrue();
        gate.DebuggerDisplay.Should().Be("stopping, 2 producer(s) inside");

        gate.Exit();
        gate.Exit();
        gate.Close();
        gate.DebuggerDisplay.Should().Be("closed, 0 producer(s) inside");
        gate.IsClosed.Should().BeTrue();
    }
}
