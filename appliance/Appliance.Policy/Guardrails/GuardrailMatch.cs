using Appliance.Policy.Configuration;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Guardrails;

/// <summary>Why a rule matched a statement.</summary>
internal enum GuardrailMatchReason
{
    /// <summary>Every condition of the rule holds.</summary>
    Matched,
    /// <summary>The statement could not be classified (unterminated quote or comment, unknown prepared statement, nesting too deep): treated as any kind.</summary>
    UnknownStatement,
    /// <summary>The rule's regular expression ran out of time on the statement: counted as a match (fail closed).</summary>
    RegexTimeout,
}

/// <summary>One rule that matched one statement: what the audit record and the client's error carry.</summary>
internal sealed record GuardrailMatch
{
    public required GuardrailRule Rule { get; init; }
    public string RuleName => Rule.Name;
    public GuardrailAction Action => Rule.Action;
    public GuardrailOutcome Outcome => Rule.Action.ToOutcome();
    /// <summary>The rule's message, or a default one naming the rule.</summary>
    public required string Message { get; init; }
    public required GuardrailMatchReason Reason { get; init; }
    /// <summary>The statement that matched: the top-level one, or the one inside it that runs (an EXPLAIN ANALYZE target, a DO body's statement…).</summary>
    public required string StatementText { get; init; }
    /// <summary>The matched statement's command (<c>DROP TABLE</c>, <c>DELETE</c>, <c>UNKNOWN</c>).</summary>
    public required string StatementCommand { get; init; }
    public required SqlStatementOrigin StatementOrigin { get; init; }
    /// <summary>Which top-level statement of the query (0-based).</summary>
    public required int StatementIndex { get; init; }
}
