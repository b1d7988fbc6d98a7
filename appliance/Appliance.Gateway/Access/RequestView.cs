using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Access;

/// <summary>A request as the API returns it and events carry it (docs/api.md).</summary>
internal sealed record RequestView(
    string Id,
    RequestKind Kind,
    string Connection,
    string Requester,
    string? Reason,
    string Duration,
    long DurationSeconds,
    RequestStatus Status,
    long Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset PendingUntil,
    DateTimeOffset? ActivatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? EndedAt,
    int MinApprovals,
    IReadOnlyList<ApprovalView> Approvals,
    IReadOnlyList<string> ApproverGroups,
    string? DeniedBy,
    string? DenyReason,
    string? EndedBy,
    string? EndReason,
    ExtensionView? Extension,
    string? Channel,
    CommandView? Command)
{
    public static RequestView From(AccessRequest r) => new(
        r.Id, r.Kind, r.Connection, r.Requester, r.Reason,
        Policy.Configuration.Duration.Format(r.Duration), (long)r.Duration.TotalSeconds,
        r.Status, r.Version, r.CreatedAt, r.PendingUntil, r.ActivatedAt, r.ExpiresAt, r.EndedAt,
        r.MinApprovals,
        r.Approvals.Select(ApprovalView.From).ToList(),
        r.ApproverGroups,
        r.DeniedBy, r.DenyReason, r.EndedBy, r.EndReason,
        r.Extension is null ? null : new ExtensionView(
            Policy.Configuration.Duration.Format(r.Extension.Duration), r.Extension.RequestedBy, r.Extension.RequestedAt,
            r.Extension.Reason, r.Extension.Approvals.Select(ApprovalView.From).ToList()),
        r.Channel,
        r.Command is null ? null : new CommandView(r.Command.Sql, r.Command.Guardrail, r.Command.Message, r.Command.SessionId, r.Command.RanIn));
}

/// <summary>A held statement as people see it: masked text, never its fingerprint.</summary>
/// <param name="RanIn">The session the approval was spent in, when another than the one held.</param>
internal sealed record CommandView(string Sql, string Guardrail, string? Message, string? SessionId, string? RanIn = null);

internal sealed record ApprovalView(string By, DateTimeOffset At, string? Comment)
{
    public static ApprovalView From(Approval a) => new(a.By, a.At, a.Comment);
}

internal sealed record ExtensionView(
    string Duration, string RequestedBy, DateTimeOffset RequestedAt, string? Reason, IReadOnlyList<ApprovalView> Approvals);

/// <summary>The <c>data</c> of request and grant events; <see cref="Reason"/> only where the state does not hold it (an extension's denial).</summary>
internal sealed record RequestEventData(
    RequestView Request,
    string Actor,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);
