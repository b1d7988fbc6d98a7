using System.Security.Cryptography;

namespace Appliance.Gateway.Access;

/// <summary>Short random ids that people can type in chat (<c>/hoop approve k7m2q9xa</c>).</summary>
internal static class Ids
{
    // No 0/o, 1/l/i: nothing that reads ambiguously in a chat font.
    private const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    public static string NewRequestId() => RandomNumberGenerator.GetString(Alphabet, 8);

    public static string NewSessionId() => "s" + RandomNumberGenerator.GetString(Alphabet, 11);

    public static string NewTokenId() => "t" + RandomNumberGenerator.GetString(Alphabet, 11);

    public static string NewEventId() => "evt_" + RandomNumberGenerator.GetString(Alphabet, 20);

    /// <summary>Request ids as they appear in routes: refuse anything that could not be one.</summary>
    public static bool LooksLikeRequestId(string? id) =>
        id is { Length: 8 } && id.AsSpan().IndexOfAnyExcept(Alphabet) < 0;
}
