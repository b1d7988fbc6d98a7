namespace Appliance.Policy.Sql;

/// <summary>
/// PostgreSQL's lexical rules (src/backend/parser/scan.l), only as far as statement boundaries
/// depend on them: whitespace, <c>--</c> and nested <c>/* */</c> comments, strings with their
/// escapes, quoted identifiers, dollar quotes, words, numbers and single punctuation characters.
/// Operators are returned one character at a time because <c>--</c> and <c>/*</c> start a
/// comment even in the middle of an operator.
/// </summary>
internal struct SqlLexer
{
    private readonly string _text;
    private readonly int _end;
    private readonly bool _backslashQuotes;
    private int _pos;

    /// <param name="backslashQuotes">
    /// Lex plain <c>'…'</c> strings as if <c>standard_conforming_strings</c> were off, where a
    /// backslash escapes the next character.
    /// </param>
    public SqlLexer(string text, int start, int end, bool backslashQuotes = false)
    {
        _text = text;
        _pos = start;
        _end = end;
        _backslashQuotes = backslashQuotes;
    }

    public SqlLexer(string text)
        : this(text, 0, text.Length)
    {
    }

    /// <summary>True once a plain string held a backslash: its meaning then depends on a setting.</summary>
    public bool SawBackslashInString { get; private set; }

    public readonly int Position => _pos;

    public SqlToken Next()
    {
        var text = _text;
        while (_pos < _end)
        {
            var c = text[_pos];
            if (IsWhitespace(c))
            {
                _pos++;
                continue;
            }

            if (c == '-' && Peek(1) == '-')
            {
                var newline = text.AsSpan(_pos, _end - _pos).IndexOfAny('\n', '\r');
                _pos = newline < 0 ? _end : _pos + newline + 1;
                continue;
            }

            if (c == '/' && Peek(1) == '*')
            {
                var start = _pos;
                if (!SkipBlockComment())
                {
                    return new SqlToken(SqlTokenKind.UnterminatedComment, start, _end - start, Unterminated: true);
                }

                continue;
            }

            return LexToken(c);
        }

        return new SqlToken(SqlTokenKind.End, _end, 0);
    }

    private SqlToken LexToken(char c)
    {
        var start = _pos;
        switch (c)
        {
            case '\'':
                return LexQuoted(start, start, _backslashQuotes ? SqlTokenKind.EscapeString : SqlTokenKind.String);
            case '"':
                return LexQuotedIdentifier(start, start);
            case '$':
                return LexDollar(start);
            case '(':
                _pos++;
                return new SqlToken(SqlTokenKind.OpenParen, start, 1);
            case ')':
                _pos++;
                return new SqlToken(SqlTokenKind.CloseParen, start, 1);
            case ';':
                _pos++;
                return new SqlToken(SqlTokenKind.Semicolon, start, 1);
            case ',':
                _pos++;
                return new SqlToken(SqlTokenKind.Comma, start, 1);
        }

        if (IsIdentifierStart(c))
        {
            var next = Peek(1);
            if (next == '\'')
            {
                // E'…' has backslash escapes; N'…' is a plain string, read as the setting reads those.
                // B'…' and X'…' never treat a backslash as an escape, whatever the setting: read so, the
                // other reading of SELECT B'\' ended inside a string and was dropped, and what it hid ran
                // unjudged under standard_conforming_strings = off (probe VA1).
                if (c is 'e' or 'E')
                {
                    return LexQuoted(start, start + 1, SqlTokenKind.EscapeString);
                }

                if (c is 'b' or 'B' or 'x' or 'X')
                {
                    return LexQuoted(start, start + 1, SqlTokenKind.String);
                }

                if (c is 'n' or 'N')
                {
                    return LexQuoted(start, start + 1, _backslashQuotes ? SqlTokenKind.EscapeString : SqlTokenKind.String);
                }
            }
            else if (c is 'u' or 'U' && next == '&')
            {
                // U&'…' and U&"…": Unicode escapes use their own escape character, quotes are doubled.
                var third = Peek(2);
                if (third == '\'')
                {
                    return LexQuoted(start, start + 2, SqlTokenKind.String);
                }

                if (third == '"')
                {
                    return LexQuotedIdentifier(start, start + 2);
                }
            }

            _pos++;
            while (_pos < _end && IsIdentifierPart(_text[_pos]))
            {
                _pos++;
            }

            return new SqlToken(SqlTokenKind.Word, start, _pos - start);
        }

        if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1))))
        {
            return LexNumber(start);
        }

        _pos++;
        return new SqlToken(SqlTokenKind.Other, start, 1);
    }

    private SqlToken LexQuoted(int start, int quote, SqlTokenKind kind)
    {
        var text = _text;
        var i = quote + 1;
        var backslashes = kind == SqlTokenKind.EscapeString;
        while (i < _end)
        {
            var c = text[i];
            if (c == '\\')
            {
                if (backslashes)
                {
                    i += 2;
                    continue;
                }

                SawBackslashInString = true;
            }
            else if (c == '\'')
            {
                if (i + 1 < _end && text[i + 1] == '\'')
                {
                    i += 2;
                    continue;
                }

                if (ContinuationQuote(i + 1) is var next and > 0)
                {
                    // 'begin dr'<newline>'op table t': one string to PostgreSQL, so one token here.
                    i = next + 1;
                    continue;
                }

                _pos = i + 1;
                return new SqlToken(kind, start, _pos - start);
            }

            i++;
        }

        _pos = _end;
        return new SqlToken(kind, start, _end - start, Unterminated: true);
    }

    /// <summary>
    /// Where a string constant continues: PostgreSQL joins two string constants separated only by
    /// whitespace holding a newline (comments included: scan.l's quotecontinue). Returns the
    /// position of the next piece's opening quote, or -1.
    /// </summary>
    private int ContinuationQuote(int i) => ContinuationQuote(_text, i, _end);

    internal static int ContinuationQuote(string text, int i, int end)
    {
        var newline = false;
        while (i < end)
        {
            var c = text[i];
            if (c is '\n' or '\r')
            {
                newline = true;
                i++;
            }
            else if (c is ' ' or '\t' or '\f' || (newline && char.IsWhiteSpace(c)))
            {
                i++;
            }
            else if (c == '-' && i + 1 < end && text[i + 1] == '-')
            {
                var lineEnd = text.IndexOfAny(['\n', '\r'], i);
                i = lineEnd < 0 || lineEnd >= end ? end : lineEnd;
            }
            else
            {
                return newline && c == '\'' ? i : -1;
            }
        }

        return -1;
    }

    private SqlToken LexQuotedIdentifier(int start, int quote)
    {
        var i = quote + 1;
        while (i < _end)
        {
            if (_text[i] == '"')
            {
                if (i + 1 < _end && _text[i + 1] == '"')
                {
                    i += 2;
                    continue;
                }

                _pos = i + 1;
                return new SqlToken(SqlTokenKind.QuotedIdentifier, start, _pos - start);
            }

            i++;
        }

        _pos = _end;
        return new SqlToken(SqlTokenKind.QuotedIdentifier, start, _end - start, Unterminated: true);
    }

    private SqlToken LexDollar(int start)
    {
        var text = _text;
        var i = start + 1;
        if (i < _end && char.IsAsciiDigit(text[i]))
        {
            while (i < _end && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            _pos = i;
            return new SqlToken(SqlTokenKind.Parameter, start, i - start);
        }

        // $tag$: the tag is an identifier without '$' (scan.l dolq_start / dolq_cont).
        if (i < _end && IsIdentifierStart(text[i]))
        {
            i++;
            while (i < _end && IsIdentifierPart(text[i]) && text[i] != '$')
            {
                i++;
            }
        }

        if (i >= _end || text[i] != '$')
        {
            _pos = start + 1;
            return new SqlToken(SqlTokenKind.Other, start, 1);
        }

        var delimiter = text.AsSpan(start, i + 1 - start);
        var bodyStart = i + 1;
        var close = text.AsSpan(bodyStart, _end - bodyStart).IndexOf(delimiter, StringComparison.Ordinal);
        if (close < 0)
        {
            _pos = _end;
            return new SqlToken(SqlTokenKind.DollarString, start, _end - start, Unterminated: true);
        }

        _pos = bodyStart + close + delimiter.Length;
        return new SqlToken(SqlTokenKind.DollarString, start, _pos - start);
    }

    private SqlToken LexNumber(int start)
    {
        var text = _text;
        var i = start;
        while (i < _end)
        {
            var c = text[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_')
            {
                i++;
            }
            else if (c is '+' or '-' && text[i - 1] is 'e' or 'E' && i + 1 < _end && char.IsAsciiDigit(text[i + 1]))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        _pos = i;
        return new SqlToken(SqlTokenKind.Number, start, i - start);
    }

    private bool SkipBlockComment()
    {
        var text = _text;
        var depth = 0;
        var i = _pos;
        while (i < _end)
        {
            var c = text[i];
            if (c == '/' && i + 1 < _end && text[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (c == '*' && i + 1 < _end && text[i + 1] == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    _pos = i;
                    return true;
                }
            }
            else
            {
                i++;
            }
        }

        _pos = _end;
        return false;
    }

    private readonly char Peek(int offset) => _pos + offset < _end ? _text[_pos + offset] : '\0';

    /// <summary>scan.l <c>space</c>: only these; other Unicode spaces are identifier characters.</summary>
    public static bool IsWhitespace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    public static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_' || c >= '\u0080';

    public static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c >= '\u0080';
}
