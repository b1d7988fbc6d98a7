namespace Appliance.Policy.Sql;

/// <summary>
/// Reads a query that is exactly one <c>COPY … TO STDOUT</c>, as PostgreSQL's grammar has it
/// (gram.y <c>CopyStmt</c>): <c>COPY [BINARY] name [(col, …)] TO STDOUT</c> or <c>COPY (query)
/// TO STDOUT</c>, then the options, parenthesized (<c>WITH (FORMAT csv, HEADER)</c>) or in the
/// older keyword form (<c>WITH CSV HEADER DELIMITER AS ';'</c>). Anything else, down to a single
/// token it does not know, is not read (null): the gateway then refuses the COPY rather than
/// guess how its rows are laid out, since a misread delimiter would put a masked value in the
/// wrong column.
/// </summary>
internal static class CopyToStdoutParser
{
    public static CopyToStdout? Parse(string sql)
    {
        var copy = Parse(sql, backslashQuotes: false, out var sawBackslash);
        if (copy is null || !sawBackslash)
        {
            return copy;
        }

        // A backslash in a plain string means something else with standard_conforming_strings
        // off, which the gateway does not track: only a statement that reads the same both ways is
        // followed, but for its NULL string, which then marks no field NULL (probe DS1: psycopg2's
        // copy_to sends NULL AS '\N', and was refused).
        var other = Parse(sql, backslashQuotes: true, out _);
        if (other is null || !SameLayout(copy, other))
        {
            return null;
        }

        return copy.Null.AsSpan().SequenceEqual(other.Null) ? copy : copy with { NullReadsTwoWays = true };
    }

    private static CopyToStdout? Parse(string sql, bool backslashQuotes, out bool sawBackslash)
    {
        var lexer = new SqlLexer(sql, 0, sql.Length, backslashQuotes);
        var tokens = new List<SqlToken>();
        SqlToken token;
        do
        {
            token = lexer.Next();
            if (token.Unterminated)
            {
                sawBackslash = lexer.SawBackslashInString;
                return null;
            }

            tokens.Add(token);
        }
        while (token.Kind != SqlTokenKind.End);

        sawBackslash = lexer.SawBackslashInString;
        return new CopyStatementReader(sql, tokens).Read();
    }

    private static bool SameLayout(CopyToStdout a, CopyToStdout b) =>
        a.ProbeQuery == b.ProbeQuery && a.Format == b.Format && a.Delimiter == b.Delimiter && a.Quote == b.Quote
        && a.Escape == b.Escape && a.Header == b.Header;
}
