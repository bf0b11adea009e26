using System;

namespace ThreadPerCore.Redis.Commands;

/// <summary>Redis-style glob matching for CONFIG GET: '*' any run, '?' any one character, case-insensitive.</summary>
internal static class Glob
{
    public static bool Matches(ReadOnlySpan<byte> pattern, string name) => Matches(pattern, 0, name, 0);

    private static bool Matches(ReadOnlySpan<byte> pattern, int p, string name, int n)
    {
        while (p < pattern.Length)
        {
            byte c = pattern[p];
            if (c == (byte)'*')
            {
                for (int rest = n; rest <= name.Length; rest++)
                {
                    if (Matches(pattern, p + 1, name, rest))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (n == name.Length || (c != (byte)'?' && char.ToLowerInvariant((char)c) != char.ToLowerInvariant(name[n])))
            {
                return false;
            }

            p++;
            n++;
        }

        return n == name.Length;
    }
}
