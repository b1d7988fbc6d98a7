namespace Appliance.Gateway.Access;

internal enum RequestKind
{
    Access,
    Command,
}

/// <summary>The states of product.md §5. A grant is a request in <see cref="Active"/> or after it.</summary>
internal enum RequestStatus
{
    Pending,
    Active,
    Denied,
    Cancelled,
    Expired,
    Revoked,
}

internal sealed record Approval(string By, DateTimeOffset At, string? Comment = null);

/// <summary>An extension of an active grant awaiting approval.</summary>
internal sealed record PendingExtension(
    TimeSpan Duration, string RequestedBy, DateTimeOffset RequestedAt, string? Reason, int Round,
    IReadOnlyList<Approval> Approvals);

/// <summary>
/// A statement the PostgreSQL gateway holds for review (kind <see cref="RequestKind.Command"/>).
/// <see cref="Sql"/> is the text approvers read, masked like everything else that leaves the data
/// path; <see cref="Fingerprint"/> is the SHA-256 of the exact text, so an approval lets exactly
/// that statement run once. The fingerprint stays in the store: a hash of a statement with one
/// short secret literal could be brute-forced, so the API and events never carry it.
/// </summary>
/// <param name="GrantId">The grant the statement was held under: an approval is good only under it (not after it ended, not under another).</param>
/// <param name="RanIn">The session the approval was spent in, when not the one held (the person ran the statement again from another session).</param>
internal sealed record CommandReview(string Sql, string Fingerprint, string Guardrail, string? Message, string? SessionId, string? GrantId = null, string? RanIn = null)
{
    /// <summary>
    /// The hash of the text without the whitespace around it and the semicolons that end it:
    /// <c>psql -f</c> sends <c>DELETE FROM t;</c> where <c>-c</c> sends <c>DELETE FROM t</c>, one
    /// statement that one approval covers.
    /// </summary>
    public static string FingerprintOf(ReadOnlySpan<byte> utf8Sql) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Trimmed(utf8Sql)));

    public static string FingerprintOf(string sql) => FingerprintOf(System.Text.Encoding.UTF8.GetBytes(sql));

    private static ReadOnlySpan<byte> Trimmed(ReadOnlySpan<byte> sql)
    {
        sql = sql.TrimStart(" \t\r\n\f"u8);
        var end = sql.Length;
        while (end > 0 && sql[end - 1] is (byte)';' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'\f')
        {
            end--;
        }

        return sql[..end];
    }
}

/// <summary>A request for access, and once approved, the grant: one entity, one id.</summary>
internal sealed record AccessRequest
{
    public required string Id { get; init; }
    public required RequestKind Kind { get; init; }
    public required string Connection { get; init; }
    public required string Requester { get; init; }
    public string? Reason { get; init; }
    public required TimeSpan Duration { get; init; }
    public required RequestStatus Status { get; init; }
    public long Version { get; init; } = 1;
    public required int MinApprovals { get; init; }
    public IReadOnlyList<string> ApproverGroups { get; init; } = [];
    public string? Channel { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset PendingUntil { get; init; }
    public DateTimeOffset? ActivatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? DeniedBy { get; init; }
    public string? DenyReason { get; init; }
    public string? EndedBy { get; init; }
    public string? EndReason { get; init; }
    public PendingExtension? Extension { get; init; }
    public CommandReview? Command { get; init; }
    public IReadOnlyList<Approval> Approvals { get; init; } = [];

    /// <summary>When the row was last written (set when read from the store).</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    public bool IsGrant => Status is RequestStatus.Active or RequestStatus.Expired or RequestStatus.Revoked && ActivatedAt is not null;

    public bool IsActiveAt(DateTimeOffset now) => Status == RequestStatus.Active && ExpiresAt > now;
}
