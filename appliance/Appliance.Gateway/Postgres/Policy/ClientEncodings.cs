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
