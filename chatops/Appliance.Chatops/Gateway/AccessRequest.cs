namespace Appliance.Chatops.Gateway;

/// <summary>
/// A request, and once approved the grant (same id, same object): the snapshot the gateway
/// returns from its API and carries in every request and grant event (docs/api.md).
/// </summary>
internal sealed record AccessRequest
{
    public required string Id { get; init; }
    public string Kind { get; init; } = RequestKinds.Access;
    public required string Connection { get; init; }
    public required string Requester { get; init; }
    public string? Reason { get; init; }
    public string? Duration { get; init; }
    public long DurationSeconds { get; init; }
    public required string Status { get; init; }
    public long Version { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? PendingUntil { get; init; }
    public DateTimeOffset? ActivatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public int MinApprovals { get; init; } = 1;
    public IReadOnlyList<Approval> Approvals { get; init; } = [];
    public IReadOnlyList<string> ApproverGroups { get; init; } = [];
    public string? DeniedBy { get; init; }
    public string? DenyReason { get; init; }
    public string? EndedBy { get; init; }
    public string? EndReason { get; init; }
    public PendingExtension? Extension { get; init; }
    public string? Channel { get; init; }
    public HeldCommand? Command { get; init; }

    public bool IsCommandReview => Kind == RequestKinds.Command;
}

internal static class RequestKinds
{
    public const string Access = "access";
    public const string Command = "command";
}

internal static class RequestStatuses
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Denied = "denied";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
    public const string Revoked = "revoked";
}

/// <summary>Why an allowed statement's review ended (its <c>endReason</c>; docs/api.md).</summary>
internal static class ReviewEnds
{
    /// <summary>The statement ran: the approval is spent.</summary>
    public const string Executed = "executed";

    /// <summary>The approval was spent but the statement did not run (its client cancelled or left).</summary>
    public const string Abandoned = "abandoned";
}

internal sealed record Approval(string By, DateTimeOffset? At, string? Comment = null);

internal sealed record PendingExtension(string Duration, string? RequestedBy, DateTimeOffset? RequestedAt, string? Reason, IReadOnlyList<Approval>? Approvals);

/// <summary>A statement the gateway holds for review (kind <c>command</c>); the SQL is masked.</summary>
internal sealed record HeldCommand(string Sql, string? Guardrail, string? Message, string? SessionId);
