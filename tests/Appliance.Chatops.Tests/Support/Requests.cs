using Appliance.Chatops.Gateway;

namespace Appliance.Chatops.Tests.Support;

/// <summary>Request snapshots in the shape of docs/api.md, for rendering tests.</summary>
internal static class Requests
{
    public static AccessRequest Pending(string reason = "investigating order 4411", int minApprovals = 1) => new()
    {
        Id = "k7m2q9xa",
        Kind = RequestKinds.Access,
        Connection = "db-prod",
        Requester = "alice@example.com",
        Reason = reason,
        Duration = "1h",
        DurationSeconds = 3600,
        Status = RequestStatuses.Pending,
        Version = 1,
        CreatedAt = DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        PendingUntil = DateTimeOffset.Parse("2026-11-26T11:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        MinApprovals = minApprovals,
        ApproverGroups = ["dba"],
        Channel = "db-access",
    };

    public static AccessRequest CommandReview(string sql) => Pending() with
    {
        Id = "c0mmand1",
        Kind = RequestKinds.Command,
        Reason = null,
        Duration = null,
        Command = new HeldCommand(sql, "unbounded-write", "Writes without WHERE need a review.", "s3ss10n1"),
    };
}
