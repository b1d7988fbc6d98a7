namespace Appliance.Gateway.Audit;

/// <summary>A native client session as it starts; <paramref name="Settings"/> are the startup parameters it asked the upstream for (options, GUCs), masked.</summary>
internal sealed record SessionInfo(
    string Id, string User, string Connection, string GrantId, string? ClientAddress, string? Application, DateTimeOffset StartedAt,
    IReadOnlyDictionary<string, string>? Settings = null);

/// <summary>
/// One statement as the gateway saw it. Everything in it is already masked: the SQL text
/// (literals can carry card numbers), the parameters and the sample rows.
/// </summary>
internal sealed record StatementRecord(
    string SessionId,
    long Seq,
    DateTimeOffset StartedAt,
    double DurationMs,
    string Sql,
    IReadOnlyList<string?>? Parameters,
    string Outcome,
    string? CommandTag,
    long? Rows,
    string? Error,
    IReadOnlyList<string>? Columns,
    IReadOnlyList<IReadOnlyList<string?>>? SampleRows,
    string? Guardrail)
{
    public const string Ok = "ok";
    public const string Failed = "error";
    public const string Blocked = "blocked";
    public const string Denied = "denied";
    public const string ReviewPending = "review-pending";
    public const string Cancelled = "cancelled";
    /// <summary>An Execute PostgreSQL never ran: an earlier message of its extended batch failed.</summary>
    public const string Skipped = "skipped";
    /// <summary>It ran, but its implicit transaction did not commit: a later error or ROLLBACK in its extended batch, or the session's end before Sync.</summary>
    public const string RolledBack = "rolled-back";
    /// <summary>Strict audit: the statement's intent, committed before it was forwarded.</summary>
    public const string Forwarded = "forwarded";
}
