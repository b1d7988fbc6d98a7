namespace Appliance.Policy.Sql;

/// <summary>Every statement a query string runs or may run, in the order they were found.</summary>
internal sealed class SqlClassification
{
    public static readonly SqlClassification Empty = new() { Statements = [], TopLevelCount = 0 };

    /// <summary>Top-level statements (<see cref="SqlStatement.Depth"/> 0) and everything found inside them.</summary>
    public required IReadOnlyList<SqlStatement> Statements { get; init; }

    public required int TopLevelCount { get; init; }

    /// <summary>The query uses or changes the session's prepared statements: its verdict may differ next time.</summary>
    public bool DependsOnSession { get; init; }

    public bool HasUnknown { get; init; }

    public IEnumerable<SqlStatement> TopLevel => Statements.Where(s => s.Depth == 0);
}
