namespace ThreadPerCore;

/// <summary>
/// Something a raw task waits on that must hear when the task is cancelled before it resumes (a dropped future): the
/// task remembers it until its next poll, and a cancel calls <see cref="Withdraw"/>, so it lets go of the task and gives
/// back whatever it set aside for it (a local task forgets the waiter; a local channel wait returns the item it handed
/// over, or the room it reserved).
/// </summary>
internal interface IAwaitedByTask
{
    /// <summary>Withdraws <paramref name="waiter"/>, which was cancelled while it waited here, without resuming it.</summary>
    /// <param name="waiter">The cancelled task.</param>
    void Withdraw(LocalTask waiter);
}
