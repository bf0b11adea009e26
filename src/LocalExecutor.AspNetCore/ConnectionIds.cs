using System;
using System.Threading;

namespace ThreadPerCore.AspNetCore;

/// <summary>Connection ids in Kestrel's shape: 13 base-32 characters of a 64-bit counter seeded from the clock, so ids
/// are unique within the process and unlikely to repeat across restarts.</summary>
internal static class ConnectionIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
    private static long s_last = DateTime.UtcNow.Ticks;

    public static string Next()
    {
        long id = Interlocked.Increment(ref s_last);
        return string.Create(13, id, static (chars, value) =>
        {
            for (int i = chars.Length - 1; i >= 0; i--)
            {
                chars[i] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
