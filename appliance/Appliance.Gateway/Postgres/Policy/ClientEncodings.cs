using System.Text;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// The client encodings the gateway can read statements and results in. PostgreSQL's client-only
/// encodings (SJIS, BIG5, GBK, UHC, GB18030, JOHAB) put ASCII bytes such as a backslash inside
/// multibyte characters, so a byte-level lexer would see an escape where PostgreSQL sees a
/// character and lose track of where a literal ends: guardrails and masking could not be
/// enforced, so such a session is refused. Every other encoding keeps bytes below 0x80 for ASCII.
/// </summary>
internal static class ClientEncodings
{
    /// <summary>The names the server reports in ParameterStatus (pg_encoding_to_char), uppercase.</summary>
    private static readonly string[] Unreadable = ["SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB"];

    /// <summary>
    /// Whether the bytes could read differently in one of the <see cref="Unreadable"/> encodings
    /// than in every encoding the gateway reads: in all of them an ASCII byte that is part of a
    /// multibyte character is 0x30–0x7E right after a byte of 0x80 or more (a trail byte, or
    /// GB18030's four-byte digits). Text without such a pair has every ASCII byte read as itself
    /// everywhere, so its quotes, escapes and comments end where the gateway sees them end.
    /// </summary>
    public static bool AsciiMayJoinACharacter(ReadOnlySpan<byte> text)
    {
        var i = text.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
        while (i >= 0 && i + 1 < text.Length)
        {
            if (text[i + 1] is >= 0x30 and <= 0x7E)
            {
                return true;
            }

            var next = text[(i + 1)..].IndexOfAnyInRange((byte)0x80, (byte)0xFF);
            i = next < 0 ? -1 : i + 1 + next;
        }

        return false;
    }

    public static bool IsClientEncoding(ReadOnlySpan<byte> parameterName) => parameterName.SequenceEqual("client_encoding"u8);

    /// <summary>Null when the encoding is readable; otherwise the FATAL message that ends the session.</summary>
    public static string? Refusal(ReadOnlySpan<byte> encoding)
    {
        var name = Encoding.UTF8.GetString(encoding);
        foreach (var unreadable in Unreadable)
        {
            if (string.Equals(name, unreadable, StringComparison.OrdinalIgnoreCase))
            {
                return $"client_encoding \"{name}\" is not supported by the gateway: it cannot check statements in an encoding "
                    + "that puts ASCII bytes inside multibyte characters; use UTF8";
            }
        }

        return null;
    }
}
