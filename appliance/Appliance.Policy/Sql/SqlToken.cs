namespace Appliance.Policy.Sql;

internal enum SqlTokenKind : byte
{
    End,
    Word,
    QuotedIdentifier,
    /// <summary><c>'…'</c>, and the B/X/N/U&amp; prefixed forms: quotes doubled, no backslash escapes.</summary>
    String,
    /// <summary><c>E'…'</c>: backslash escapes as well as doubled quotes.</summary>
    EscapeString,
    DollarString,
    Number,
    Parameter,
    OpenParen,
    CloseParen,
    Semicolon,
    Comma,
    Other,
    /// <summary>A <c>/*</c> comment that never closes; comments that close are skipped.</summary>
    UnterminatedComment,
}

/// <summary>One lexical token: a range of the source text.</summary>
internal readonly record struct SqlToken(SqlTokenKind Kind, int Start, int Length, bool Unterminated = false)
{
    public int End => Start + Length;

    public bool IsWord => Kind == SqlTokenKind.Word;

    public bool IsStringLiteral => Kind is SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.DollarString;
}
