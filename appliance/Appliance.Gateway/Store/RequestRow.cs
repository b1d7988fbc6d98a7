using Appliance.Gateway.Access;

namespace Appliance.Gateway.Store;

/// <summary>A <c>requests</c> row as Dapper reads and writes it (snake_case columns map by name).</summary>
internal sealed class RequestRow
{
    public string Id { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Connection { get; set; } = "";
    public string Requester { get; set; } = "";
    public string? Reason { get; set; }
    public long DurationSeconds { get; set; }
    public string Status { get; set; } = "";
    public long Version { get; set; }
    public long MinApprovals { get; set; }
    public string ApproverGroups { get; set; } = "[]";
    public string? Channel { get; set; }
    public long CreatedAt { get; set; }
    public long PendingUntil { get; set; }
    public long? ActivatedAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? EndedAt { get; set; }
    public string? DeniedBy { get; set; }
    public string? DenyReason { get; set; }
    public string? EndedBy { get; set; }
    public string? EndReason { get; set; }
    public string? Extension { get; set; }
    public string? Command { get; set; }
    public long UpdatedAt { get; set; }

    public static RequestRow From(AccessRequest r, DateTimeOffset now) => new()
    {
        Id = r.Id,
        Kind = r.Kind.ToString().ToLowerInvariant(),
        Connection = r.Connection,
        Requester = r.Requester,
        Reason = r.Reason,
        DurationSeconds = (long)r.Duration.TotalSeconds,
        Status = r.Status.ToString().ToLowerInvariant(),
        Version = r.Version,
        MinApprovals = r.MinApprovals,
        ApproverGroups = StoreJson.Serialize(r.ApproverGroups),
        Channel = r.Channel,
        CreatedAt = r.CreatedAt.ToUnixMs(),
        PendingUntil = r.PendingUntil.ToUnixMs(),
        ActivatedAt = r.ActivatedAt.ToUnixMs(),
        ExpiresAt = r.ExpiresAt.ToUnixMs(),
        EndedAt = r.EndedAt.ToUnixMs(),
        DeniedBy = r.DeniedBy,
        DenyReason = r.DenyReason,
        EndedBy = r.EndedBy,
        EndReason = r.EndReason,
        Extension = r.Extension is null ? null : StoreJson.Serialize(ExtensionJson.From(r.Extension)),
        Command = r.Command is null ? null : StoreJson.Serialize(r.Command),
        UpdatedAt = now.ToUnixMs(),
    };

    public AccessRequest ToRequest(IReadOnlyList<ApprovalRow> approvals)
    {
        var extension = StoreJson.Deserialize<ExtensionJson>(Extension);
        return new AccessRequest
        {
            Id = Id,
            Kind = Enum.Parse<RequestKind>(Kind, ignoreCase: true),
            Connection = Connection,
            Requester = Requester,
            Reason = Reason,
            Duration = TimeSpan.FromSeconds(DurationSeconds),
            Status = Enum.Parse<RequestStatus>(Status, ignoreCase: true),
            Version = Version,
            MinApprovals = (int)MinApprovals,
            ApproverGroups = StoreJson.Deserialize<string[]>(ApproverGroups) ?? [],
            Channel = Channel,
            CreatedAt = StoreJson.FromUnixMs(CreatedAt),
            PendingUntil = StoreJson.FromUnixMs(PendingUntil),
            ActivatedAt = StoreJson.FromUnixMs(ActivatedAt),
            ExpiresAt = StoreJson.FromUnixMs(ExpiresAt),
            EndedAt = StoreJson.FromUnixMs(EndedAt),
            DeniedBy = DeniedBy,
            DenyReason = DenyReason,
            EndedBy = EndedBy,
            EndReason = EndReason,
            Extension = extension?.ToExtension(approvals.Where(a => a.Round == extension.Round).Select(a => a.ToApproval()).ToList()),
            Command = StoreJson.Deserialize<CommandReview>(Command),
            Approvals = approvals.Where(a => a.Round == 0).Select(a => a.ToApproval()).ToList(),
            UpdatedAt = StoreJson.FromUnixMs(UpdatedAt),
        };
    }

    /// <summary>The pending extension as stored; its approvals live in <c>approvals</c> under its round.</summary>
    private sealed record ExtensionJson(long DurationSeconds, string RequestedBy, DateTimeOffset RequestedAt, string? Reason, int Round)
    {
        public static ExtensionJson From(PendingExtension e) =>
            new((long)e.Duration.TotalSeconds, e.RequestedBy, e.RequestedAt, e.Reason, e.Round);

        public PendingExtension ToExtension(IReadOnlyList<Approval> approvals) =>
            new(TimeSpan.FromSeconds(DurationSeconds), RequestedBy, RequestedAt, Reason, Round, approvals);
    }
}

internal sealed class ApprovalRow
{
    public string RequestId { get; set; } = "";
    public long Round { get; set; }
    public string Approver { get; set; } = "";
    public string? Comment { get; set; }
    public long At { get; set; }

    public Approval ToApproval() => new(Approver, StoreJson.FromUnixMs(At), Comment);
}
