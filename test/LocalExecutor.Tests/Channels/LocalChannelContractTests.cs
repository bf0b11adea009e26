using System;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;

namespace ThreadPerCore.Tests.Channels;

/// <summary>
/// What a <see cref="LocalChannel{T}"/> refuses, found missing by mutation testing (docs/testing.md): a channel without
/// an owner or room, and use from any thread but its owner's (the channel has no lock or atomic: a foreign thread
/// would race the owner's tasks).
/// </summary>
public sealed class LocalChannelContractTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutor _owner = new(new LocalExecutorOptions { Name = "local-channel-owner" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _owner.DisposeAsync();

    public void Dispose() => _owner.Dispose();

    [Fact]
    public void A_channel_needs_an_owner_and_room_for_one_item()
    {
        Action noOwner = () => _ = new LocalChannel<int>(null!, 4);
        Action noRoom = () => _ = new LocalChannel<int>(_owner, 0);

        noOwner.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("owner");
        noRoom.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("capacity");
    }

    [Theory]
    [InlineData("Count")]
    [InlineData("IsClosed")]
    [InlineData("SendAsync")]
    [InlineData("ReceiveAsync")]
    public async Task Every_member_refuses_a_thread_that_is_not_the_owner_naming_the_owner(string member)
    {
        LocalChannel<int> channel = await _owner.OnExecutor(() => new LocalChannel<int>(_owner, 4));
        await _owner.OnExecutor(() => channel.TrySend(1)); // an item there, so a receive that got through would not wait

        Action use = member switch
        {
            "Count" => () => _ = channel.Count,
            "IsClosed" => () => _ = channel.IsClosed,
            "SendAsync" => () => _ = channel.SendAsync(2).AsTask(),
            _ => () => _ = channel.ReceiveAsync().AsTask(),
        };

        use.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain(_owner.Name);
        (await _owner.OnExecutor(() => channel.Count)).Should().Be(1, "the refused call changed nothing");
    }
}
