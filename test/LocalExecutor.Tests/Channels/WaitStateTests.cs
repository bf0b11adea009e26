using System;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;

namespace ThreadPerCore.Tests.Channels;

/// <summary>
/// The protocol word of a reusable channel wait, driven step by step: each test plays the waiter, its signallers and
/// its canceller in one chosen order (the systematic tests explore all orders).
/// </summary>
public sealed class WaitStateTests
{
    [Fact]
    public void A_signal_that_comes_before_the_waiter_arms_is_recorded_and_the_waiter_wakes_itself_when_it_arms()
    {
        var state = default(WaitState<Waiter>);
        state.Waiter = new Waiter(1);
        var flag = new Flag();

        state.Signal(out _).Should().BeFalse("nobody is armed yet to be woken");
        state.IsSignalled.Should().BeTrue();

        state.Arm(flag.Of, out Waiter woken).Should().BeTrue();
        woken.Id.Should().Be(1);
    }

    [Fact]
    public void A_signal_after_arming_wakes_the_waiter_it_copied()
    {
        var state = default(WaitState<Waiter>);
        state.Waiter = new Waiter(1);
        var flag = new Flag();
        state.Arm(flag.Of, out _).Should().BeFalse("the flag is up: a signaller will come");

        state.Signal(out Waiter woken).Should().BeTrue();
        woken.Id.Should().Be(1);
    }

    [Fact]
    public void Reclaiming_a_wait_whose_signal_is_still_on_its_way_does_not_wait_and_that_signal_wakes_nobody()
    {
        var state = default(WaitState<Waiter>);
        var flag = new Flag();
        state.Waiter = new Waiter(1);
        state.Arm(flag.Of, out _).Should().BeFalse();
        short first = state.Version;

        // A signaller took the flag (the withdrawal fails) but has not signalled yet; the waiter was abandoned.
        flag.TakenBySignaller = true;
        flag.TryWithdraw().Should().BeFalse();
        state.Release(signalDue: true);

        state.Version.Should().Be((short)(first + 1));
        state.OwedSignals.Should().Be(1);

        state.Waiter = new Waiter(2);
        flag.TakenBySignaller = false;
        state.Arm(flag.Of, out _).Should().BeFalse();

        state.Signal(out _).Should().BeFalse("the late signal of the reclaimed wait pays off its debt");
        state.OwedSignals.Should().Be(0);
        state.IsSignalled.Should().BeFalse("the second wait has not been signalled yet");

        state.Signal(out Waiter woken).Should().BeTrue("the second wait's own signal wakes it");
        woken.Id.Should().Be(2);
    }

    [Fact]
    public void When_the_current_waits_own_signal_pays_off_the_debt_the_late_signal_wakes_it_instead()
    {
        var state = default(WaitState<Waiter>);
        var flag = new Flag();
        state.Waiter = new Waiter(1);
        state.Arm(flag.Of, out _);
        state.Release(signalDue: true);
        state.Waiter = new Waiter(2);
        state.Arm(flag.Of, out _);

        state.Signal(out _).Should().BeFalse("the first arrival pays off, whichever wait it was issued for");
        state.Signal(out Waiter woken).Should().BeTrue("the last one wakes the current wait, after its own signaller came");
        woken.Id.Should().Be(2);
    }

    [Fact]
    public void A_reclaim_after_the_signal_arrived_owes_nothing()
    {
        var state = default(WaitState<Waiter>);
        var flag = new Flag();
        state.Waiter = new Waiter(1);
        state.Arm(flag.Of, out _);
        state.Signal(out _).Should().BeTrue(); // woke a raw task that was already cancelled: a no-op wake

        state.Release(signalDue: true);

        state.OwedSignals.Should().Be(0);
    }

    [Fact]
    public void A_token_that_fires_before_the_wait_arms_is_withdrawn_by_the_arming_waiter()
    {
        var state = default(WaitState<Waiter>);
        var flag = new Flag();
        state.Waiter = new Waiter(1);

        state.Cancel(flag.Of, out _).Should().BeFalse("not armed: the callback leaves the withdrawal to the waiter");
        flag.Withdrawals.Should().Be(0);

        state.Arm(flag.Of, out Waiter woken).Should().BeTrue();
        woken.Id.Should().Be(1);
        flag.Withdrawals.Should().Be(1);
        state.IsCanceled.Should().BeTrue();
    }

    [Fact]
    public void A_token_that_fires_after_the_wait_armed_is_withdrawn_by_the_callback()
    {
        var state = default(WaitState<Waiter>);
        var flag = new Flag();
        state.Waiter = new Waiter(1);
        state.Arm(flag.Of, out _).Should().BeFalse();

        state.Cancel(flag.Of, out Waiter woken).Should().BeTrue();
        woken.Id.Should().Be(1);
        state.IsCanceled.Should().BeTrue();
    }

    [Fact]
    public void A_token_that_fires_after_a_signaller_took_the_flag_leaves_the_wait_to_that_signal()
    {
        var state = default(WaitState<Waiter>);
        var flag = new Flag();
        state.Waiter = new Waiter(1);
        state.Arm(flag.Of, out _);
        flag.TakenBySignaller = true;

        state.Cancel(flag.Of, out _).Should().BeFalse();
        state.Signal(out Waiter woken).Should().BeTrue();
        woken.Id.Should().Be(1);
        state.IsCanceled.Should().BeFalse("the item or the close won");
    }

    [Fact]
    public void Release_moves_to_the_next_version_and_forgets_the_waiter()
    {
        var state = default(WaitState<Waiter>);
        state.Waiter = new Waiter(1);
        state.Arm(new Flag().Of, out _);
        state.Signal(out _);

        state.Release(signalDue: false);

        state.Version.Should().Be(1);
        state.Waiter.Id.Should().Be(0);
        state.IsSignalled.Should().BeFalse();
        state.IsCanceled.Should().BeFalse();
    }

    [Fact]
    public void A_wait_that_lives_on_one_thread_follows_the_same_rules_with_plain_writes()
    {
        var state = default(WaitState<Waiter>);
        state.Waiter = new Waiter(1);
        state.SignalOnOwnerThread(out _).Should().BeFalse("not armed yet");
        state.ArmOnOwnerThread(out Waiter woken).Should().BeTrue("its signal came first");
        woken.Id.Should().Be(1);
        state.ReleaseOnOwnerThread();

        state.Waiter = new Waiter(2);
        state.ArmOnOwnerThread(out _).Should().BeFalse();
        state.SignalOnOwnerThread(out woken).Should().BeTrue();
        woken.Id.Should().Be(2);
        state.Version.Should().Be(1);
        state.ReleaseOnOwnerThread();
        state.Version.Should().Be(2, "each release moves one version on");
    }

    [Fact]
    public void A_reclaim_that_would_owe_more_signals_than_the_word_counts_throws_instead_of_corrupting_the_version()
    {
        // 4095 signals in flight at once is far beyond any channel's use; the 4096th must not carry into the version.
        var state = default(WaitState<Waiter>);
        for (int i = 0; i < 4095; i++)
        {
            state.Release(signalDue: true);
        }

        state.OwedSignals.Should().Be(4095);
        Action oneMore = () => state.Release(signalDue: true);

        oneMore.Should().Throw<InvalidOperationException>().WithMessage("*signals in flight*");
        state.Version.Should().Be(4095, "the refused reclaim left the word as it was");
        state.OwedSignals.Should().Be(4095);
    }

    [Fact]
    public void The_debugger_names_the_version_the_owed_signals_and_each_flag_of_the_current_wait()
    {
        var state = default(WaitState<Waiter>);
        var flag = new Flag();
        state.DebuggerState.Should().Be("version 0, owed 0");

        state.Cancel(flag.Of, out _);
        state.DebuggerState.Should().Be("version 0, owed 0, cancel requested");

        state.Release(signalDue: false);
        state.Arm(flag.Of, out _);
        state.DebuggerState.Should().Be("version 1, owed 0, armed");

        state.Signal(out _);
        state.DebuggerState.Should().Be("version 1, owed 0, signalled, armed");

        state.Release(signalDue: false);
        state.Arm(flag.Of, out _);
        state.Cancel(flag.Of, out _);
        state.DebuggerState.Should().Be("version 2, owed 0, signalled, armed, cancel requested, canceled");

        state.Release(signalDue: false);
        state.Arm(flag.Of, out _);
        state.Release(signalDue: true);
        state.DebuggerState.Should().Be("version 4, owed 1");
    }

    private readonly record struct Waiter(int Id);

    /// <summary>A flag that can be raised and withdrawn unless a signaller took it.</summary>
    private sealed class Flag
    {
        public bool TakenBySignaller { get; set; }

        public int Withdrawals { get; private set; }

        public bool TryWithdraw()
        {
            if (TakenBySignaller)
            {
                return false;
            }

            Withdrawals++;
            return true;
        }

        public FlagOf Of => new(this);
    }

    private readonly struct FlagOf(Flag flag) : IWaitFlag
    {
        public bool TryRaise() => true;

        public bool TryWithdraw() => flag.TryWithdraw();
    }
}
