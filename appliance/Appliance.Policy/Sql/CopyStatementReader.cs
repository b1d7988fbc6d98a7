using System.Text;

namespace Appliance.Policy.Sql;

/// <summary>One pass over the tokens of a COPY statement for <see cref="CopyToStdoutParser"/>; every method returns false (or null) at the first token it does not expect.</summary>
internal sealed class CopyStatementReader(string sql, List<SqlToken> tokens)
{
    private int _at;
    private CopyFormat? _format;
    private string? _delimiter;
    private string? _null;
    private string? _quote;
    private string? _escape;
    private bool? _header;
    private bool _forceQuote;

    private SqlToken Current => tokens[_at];

    public CopyToStdout? Read()
    {
        if (!Accept("copy"))
        {
            return null;
        }

        if (Accept("binary"))
        {
            _format = CopyFormat.Binary;
        }

        var probe = Current.Kind == SqlTokenKind.OpenParen ? InnerQuery() : TableQuery();
        if (probe is null || !Accept("to") || !Accept("stdout"))
        {
            return null;
        }

        Accept("with");
        if (!(Current.Kind == SqlTokenKind.OpenParen ? Options() : LegacyOptions()))
        {
            return null;
        }

        while (Current.Kind == SqlTokenKind.Semicolon)
        {
            _at++;
        }

        return Current.Kind == SqlTokenKind.End ? Build(probe) : null;
    }

    /// <summary><c>(query)</c>: the query as written, with the same result columns as the COPY.</summary>
    private string? InnerQuery()
    {
        var open = _at;
        var depth = 0;
        for (; Current.Kind != SqlTokenKind.End; _at++)
        {
            depth += Current.Kind switch
            {
                SqlTokenKind.OpenParen => 1,
                SqlTokenKind.CloseParen => -1,
                _ => 0,
            };
            if (depth == 0)
            {
                var close = _at++;
                return close > open + 1 ? sql[tokens[open].End..tokens[close].Start] : null;
            }
        }

        return null;
    }

    /// <summary><c>[ONLY] name [(col, …)]</c>: a SELECT of the same columns, in the same order, from the same relation.</summary>
    private string? TableQuery()
    {
        var only = Accept("only");
        var first = Current;
        if (!IsIdentifier(first))
        {
            return null;
        }

        var last = first;
        _at++;
        while (IsDot(Current))
        {
            _at++;
            if (!IsIdentifier(Current))
            {
                return null;
            }

            last = Current;
            _at++;
        }

        var columns = "*";
        if (Current.Kind == SqlTokenKind.OpenParen)
        {
            _at++;
            if (ColumnList() is not { } list || !Accept(SqlTokenKind.CloseParen))
            {
                return null;
            }

            columns = list;
        }

        return $"SELECT {columns} FROM {(only ? "ONLY " : "")}{sql[first.Start..last.End]}";
    }

    /// <summary><c>col [, col …]</c> as written, joined with commas.</summary>
    private string? ColumnList()
    {
        var columns = new StringBuilder();
        do
        {
            if (!IsIdentifier(Current))
            {
                return null;
            }

            columns.Append(columns.Length == 0 ? "" : ", ").Append(sql, Current.Start, Current.Length);
            _at++;
        }
        while (Accept(SqlTokenKind.Comma));

        return columns.ToString();
    }

    /// <summary><c>(name [value] [, …])</c> (copy_generic_opt_list).</summary>
    private bool Options()
    {
        _at++;
        do
        {
            if (!Current.IsWord)
            {
                return false;
            }

            var name = SqlLiteral.Identifier(sql, Current);
            _at++;
            if (name == "force_quote")
            {
                if (!ForceQuoteColumns(parenthesized: true))
                {
                    return false;
                }

                continue;
            }

            string? value = null;
            if (Current.Kind is not (SqlTokenKind.Comma or SqlTokenKind.CloseParen))
            {
                value = Value(Current, stringsOnly: false);
                if (value is null)
                {
                    return false;
                }

                _at++;
            }

            if (!Set(name, value))
            {
                return false;
            }
        }
        while (Accept(SqlTokenKind.Comma));

        return Accept(SqlTokenKind.CloseParen);
    }

    /// <summary>The keyword form before PostgreSQL 9.0 (copy_opt_list), which psql and old drivers still send.</summary>
    private bool LegacyOptions()
    {
        while (Current.Kind is not (SqlTokenKind.Semicolon or SqlTokenKind.End))
        {
            if (!Current.IsWord)
            {
                return false;
            }

            var word = SqlLiteral.Identifier(sql, Current);
            _at++;
            var ok = word switch
            {
                "binary" => Set("format", "binary"),
                "csv" => Set("format", "csv"),
                "header" => Set("header", null),
                "delimiter" or "null" or "quote" or "escape" => LegacyValue(word),
                "force" => Accept("quote") && ForceQuoteColumns(parenthesized: false),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool LegacyValue(string name)
    {
        Accept("as");
        if (Value(Current, stringsOnly: true) is not { } value)
        {
            return false;
        }

        _at++;
        return Set(name, value);
    }

    /// <summary><c>*</c> or a column list: which values are always quoted, which the CSV reader follows whatever it is.</summary>
    private bool ForceQuoteColumns(bool parenthesized)
    {
        if (_forceQuote)
        {
            return false;
        }

        _forceQuote = true;
        if (Current.Kind == SqlTokenKind.Other && sql[Current.Start] == '*')
        {
            _at++;
            return true;
        }

        if (parenthesized && !Accept(SqlTokenKind.OpenParen))
        {
            return false;
        }

        return ColumnList() is not null && (!parenthesized || Accept(SqlTokenKind.CloseParen));
    }

    /// <summary>One option; a repeated one is an error in PostgreSQL ("conflicting or redundant options"), so it is not read either.</summary>
    private bool Set(string name, string? value)
    {
        switch (name)
        {
            case "format" when _format is null:
                _format = value switch
                {
                    "text" => CopyFormat.Text,
                    "csv" => CopyFormat.Csv,
                    "binary" => CopyFormat.Binary,
                    _ => null,
                };
                return _format is not null;
            case "header" when _header is null:
                // defGetCopyHeaderChoice: a boolean; "match" is for COPY FROM only.
                _header = value?.ToLowerInvariant() switch
                {
                    // parse_bool: true/false, yes/no, on/off, 1/0 and unique prefixes of the words.
                    null or "t" or "tr" or "tru" or "true" or "y" or "ye" or "yes" or "on" or "1" => true,
                    "f" or "fa" or "fal" or "fals" or "false" or "n" or "no" or "of" or "off" or "0" => false,
                    _ => null,
                };
                return _header is not null;
            case "delimiter" when _delimiter is null && value is not null:
                _delimiter = value;
                return true;
            case "null" when _null is null && value is not null:
                _null = value;
                return true;
            case "quote" when _quote is null && value is not null:
                _quote = value;
                return true;
            case "escape" when _escape is null && value is not null:
                _escape = value;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// The layout, with PostgreSQL's defaults, or null for one PostgreSQL refuses (quote options
    /// outside CSV, a delimiter that is not one ASCII byte, …): such a COPY fails upstream anyway.
    /// </summary>
    private CopyToStdout? Build(string probe)
    {
        var format = _format ?? CopyFormat.Text;
        if (format == CopyFormat.Binary)
        {
            return new CopyToStdout { ProbeQuery = probe, Format = format, Null = [] };
        }

        var csv = format == CopyFormat.Csv;
        if (!csv && (_quote is not null || _escape is not null || _forceQuote))
        {
            return null;
        }

        var nullText = _null ?? (csv ? "" : "\\N");
        if (!OneAsciiByte(_delimiter ?? (csv ? "," : "\t"), out var delimiter)
            || !OneAsciiByte(_quote ?? "\"", out var quote)
            || !OneAsciiByte(_escape ?? _quote ?? "\"", out var escape)
            || delimiter is (byte)'\r' or (byte)'\n'
            || nullText.Contains('\r', StringComparison.Ordinal) || nullText.Contains('\n', StringComparison.Ordinal)
            || nullText.Contains((char)delimiter, StringComparison.Ordinal)
            || (csv && nullText.Contains((char)quote, StringComparison.Ordinal))
            || (csv ? delimiter == quote : delimiter == '\\' || char.IsAsciiLetterLower((char)delimiter) || char.IsAsciiDigit((char)delimiter) || delimiter == '.'))
        {
            return null;
        }

        return new CopyToStdout
        {
            ProbeQuery = probe,
            Format = format,
            Delimiter = delimiter,
            Quote = csv ? quote : (byte)0,
            Escape = csv ? escape : (byte)0,
            Null = Encoding.UTF8.GetBytes(nullText),
            Header = _header ?? false,
        };
    }

    private static bool OneAsciiByte(string text, out byte value)
    {
        value = text.Length == 1 && char.IsAscii(text[0]) ? (byte)text[0] : (byte)0;
        return text.Length == 1 && char.IsAscii(text[0]);
    }

    /// <summary>An option's value: a string constant, or (in the parenthesized form) a word, quoted name or number.</summary>
    private string? Value(SqlToken token, bool stringsOnly)
    {
        if (token.IsStringLiteral)
        {
            return SqlLiteral.TryGetContent(sql, token, out var text, out var start, out var end) ? text[start..end] : null;
        }

        return stringsOnly ? null : token.Kind switch
        {
            SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier => SqlLiteral.Identifier(sql, token),
            SqlTokenKind.Number => sql.Substring(token.Start, token.Length),
            _ => null,
        };
    }

    private bool Accept(string keyword)
    {
        if (Current.IsWord && sql.AsSpan(Current.Start, Current.Length).Equals(keyword, StringComparison.OrdinalIgnoreCase))
        {
            _at++;
            return true;
        }

        return false;
    }

    private bool Accept(SqlTokenKind kind)
    {
        if (Current.Kind == kind)
        {
            _at++;
            return true;
        }

        return false;
    }

    private static bool IsIdentifier(SqlToken token) => token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;

    private bool IsDot(SqlToken token) => token.Kind == SqlTokenKind.Other && sql[token.Start] == '.';
}
