namespace Appliance.Policy.Sql;

/// <summary>Why a statement was found: at the top of the query, or inside something that runs it.</summary>
internal enum SqlStatementOrigin : byte
{
    TopLevel,
    /// <summary>The statement under <c>EXPLAIN ANALYZE</c>, which executes it.</summary>
    ExplainAnalyze,
    /// <summary>The statement a <c>PREPARE … AS</c> defines.</summary>
    Prepare,
    /// <summary>A statement an <c>EXECUTE name</c> runs, resolved through the session's prepared statements.</summary>
    Execute,
    /// <summary>A data-modifying statement in parentheses (a <c>WITH</c> query), or the statement after the <c>WITH</c> list.</summary>
    With,
    /// <summary>A statement in a <c>DO</c> block or a function or procedure body.</summary>
    RoutineBody,
    /// <summary>A string given to PL/pgSQL's dynamic <c>EXECUTE</c>.</summary>
    DynamicSql,
    /// <summary>The query of <c>DECLARE … CURSOR FOR</c>.</summary>
    Cursor,
    /// <summary>The query of <c>COPY (query) TO</c>.</summary>
    Copy,
    /// <summary>A <c>MERGE</c>'s <c>THEN DELETE</c>, <c>THEN UPDATE</c> or <c>THEN INSERT</c> action.</summary>
    MergeAction,
    /// <summary>The <c>DO UPDATE</c> of an <c>INSERT … SELECT … ON CONFLICT</c>: it updates every row the query's keys hit.</summary>
    ConflictAction,
}

/// <summary>
/// One classified statement. <see cref="Kind"/> is the leading keyword in upper case
/// (<c>DROP</c>); <see cref="Command"/> adds the object type for CREATE/ALTER/DROP
/// (<c>DROP TABLE</c>), the direction for COPY (<c>COPY FROM</c>) and ANALYZE for EXPLAIN.
/// A statement of kind <see cref="SqlKeywords.Unknown"/> could not be classified (an
/// unterminated quote or comment, an unknown prepared statement, nesting too deep) and is
/// treated as possibly anything.
/// </summary>
internal sealed record SqlStatement
{
    public required ReadOnlyMemory<char> Text { get; init; }
    public required string Kind { get; init; }
    public required string Command { get; init; }
    /// <summary>
    /// Whether the statement has a WHERE clause of its own (not in a subquery, string or comment)
    /// that can limit rows: <c>WHERE true</c> or <c>WHERE id = 1 OR 1 = 1</c> counts as none.
    /// </summary>
    public bool HasWhere { get; init; }
    public SqlStatementOrigin Origin { get; init; }
    /// <summary>Which top-level statement of the query this one is, or lies inside (0-based).</summary>
    public int TopLevelIndex { get; init; }
    /// <summary>0 for a top-level statement, one more for each wrapper or body it is inside.</summary>
    public int Depth { get; init; }

    public bool IsUnknown => ReferenceEquals(Kind, SqlKeywords.Unknown);

    public override string ToString() => $"{Command} ({Origin}): {Text}";
}
