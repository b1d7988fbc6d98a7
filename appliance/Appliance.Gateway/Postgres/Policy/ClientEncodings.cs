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

    /// <summary>
    /// Whether running the statement may change client_encoding: false only for statements that
    /// run no code of anyone's and set no encoding, the ones drivers put before a statement in one
    /// batch (pgjdbc's BEGIN, SET application_name): BEGIN, SAVEPOINT, RELEASE, SET or RESET of
    /// another setting, SHOW. Not COMMIT (deferred triggers run then), and no ROLLBACK: it restores
    /// an encoding that may have been set and changed back before any report, the savepoint's
    /// (probe DI-1) or the transaction's start (DM-1: SET SJIS; COMMIT; BEGIN; SET UTF8). Anything else may call a
    /// function, a trigger or a view's that calls set_config.
    /// </summary>
    public static bool MayChangeClientEncoding(ReadOnlySpan<byte> sql)
    {
        var words = new SqlWords(sql);
        var first = words.Next();
        if (Is(first, "BEGIN") || Is(first, "START") || Is(first, "SAVEPOINT") || Is(first, "RELEASE") || Is(first, "SHOW"))
        {
            return !words.RestIsOneStatement();
        }

        if (Is(first, "SET") || Is(first, "RESET"))
        {
            var name = words.Next();
            if (Is(name, "SESSION") || Is(name, "LOCAL"))
            {
                name = words.Next();
            }

            // A name spelled another way (U&"client\0065ncoding") is no plain word followed by a blank, '=' or '.'.
            // SET CONSTRAINTS … IMMEDIATE runs deferred triggers, anyone's code, at once.
            return name.IsEmpty || Is(name, "client_encoding") || Is(name, "\"client_encoding\"") || Is(name, "NAMES") || Is(name, "ALL") || Is(name, "CONSTRAINTS")
                || !words.AtNameEnd() || !words.RestIsOneStatement();
        }

        return true;
    }

    private static bool Is(ReadOnlySpan<byte> word, string expected) => System.Text.Ascii.EqualsIgnoreCase(word, expected);

    /// <summary>Words of a statement's text, past whitespace and comments; a quoted identifier is one word with its quotes.</summary>
    private ref struct SqlWords(ReadOnlySpan<byte> text)
    {
        private readonly ReadOnlySpan<byte> _text = text;
        private int _at;

        public ReadOnlySpan<byte> Next()
        {
            SkipBlank();
            var start = _at;
            if (_at < _text.Length && _text[_at] == '"')
            {
                var close = _text[(_at + 1)..].IndexOf((byte)'"');
                _at = close < 0 ? _text.Length : _at + close + 2;
                return _text[start.._at];
            }

            while (_at < _text.Length && (char.IsAsciiLetterOrDigit((char)_text[_at]) || _text[_at] == '_'))
            {
                _at++;
            }

            return _text[start.._at];
        }

        /// <summary>Right after a setting's name: a blank, '=', '.' (a placeholder's dotted name) or the end.</summary>
        public readonly bool AtNameEnd() =>
            _at >= _text.Length || _text[_at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'\f' or (byte)'=' or (byte)'.';

        /// <summary>No second statement after this one: no semicolon but a last one, outside quotes, ignoring comments.</summary>
        public bool RestIsOneStatement()
        {
            var rest = _text[_at..];
            var semicolon = rest.IndexOf((byte)';');
            return semicolon < 0 || rest[(semicolon + 1)..].IndexOfAnyExcept(" \t\r\n\f"u8) < 0;
        }

        private void SkipBlank()
        {
            while (_at < _text.Length)
            {
                if (_text[_at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'\f')
                {
                    _at++;
                }
                else if (_text[_at..].StartsWith("--"u8))
                {
                    // PostgreSQL ends it at a carriage return too (probe DO-1: "SET --\rclient_encoding …" was read as another SET).
                    var end = _text[_at..].IndexOfAny((byte)'\n', (byte)'\r');
                    _at = end < 0 ? _text.Length : _at + end + 1;
                }
                else if (_text[_at..].StartsWith("/*"u8))
                {
                    // Block comments nest in PostgreSQL: /* /* */ BEGIN */ SET … is a SET.
                    var depth = 0;
                    do
                    {
                        if (_text[_at..].StartsWith("/*"u8))
                        {
                            depth++;
                            _at += 2;
                        }
                        else if (_text[_at..].StartsWith("*/"u8))
                        {
                            depth--;
                            _at += 2;
                        }
                        else
                        {
                            _at++;
                        }
                    }
                    while (depth > 0 && _at < _text.Length);
                }
                else
                {
                    return;
                }
            }
        }
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
