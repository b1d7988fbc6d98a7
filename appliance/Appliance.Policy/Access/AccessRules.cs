using Appliance.Policy.Configuration;

namespace Appliance.Policy.Access;

/// <summary>
/// Who may ask for a connection, who may approve, how long a grant may last: the rules of
/// product.md §5 as pure functions over the policy and a person's groups.
/// </summary>
public static class AccessRules
{
    public static bool CanRequest(IReadOnlySet<string> groups, ConnectionPolicy connection) =>
        connection.Access.Requesters.Any(groups.Contains) || IsAutoApproved(groups, connection);

    public static bool IsApprover(IReadOnlySet<string> groups, ConnectionPolicy connection) =>
        connection.Access.Approvers.Any(groups.Contains);

    public static bool IsAutoApproved(IReadOnlySet<string> groups, ConnectionPolicy connection) =>
        connection.Access.AutoApprove.Any(groups.Contains);

    /// <summary>
    /// The duration a request gets: the connection's default when none is asked for; refused
    /// when it is not a duration or exceeds the connection's maximum (auto-approval does not lift
    /// the cap).
    /// </summary>
    public static AccessDecision<TimeSpan> ResolveDuration(string? requested, ConnectionPolicy connection)
    {
        if (string.IsNullOrWhiteSpace(requested))
        {
            return AccessDecision<TimeSpan>.Allow(connection.Access.DefaultDuration);
        }

        if (!Duration.TryParse(requested, out var duration))
        {
            return AccessDecision<TimeSpan>.Refuse(
                AccessRule.BadDuration,
                $"'{requested}' is not a duration: write it like 30m, 1h, 1h30m or 2d.");
        }

        if (duration > connection.Access.MaxDuration)
        {
            return AccessDecision<TimeSpan>.Refuse(
                AccessRule.MaxDuration,
                $"{Duration.Format(duration)} is longer than the maximum of {Duration.Format(connection.Access.MaxDuration)} for {connection.Name}.");
        }

        return AccessDecision<TimeSpan>.Allow(duration);
    }

    public static AccessDecision<string?> ResolveReason(string? reason, ConnectionPolicy connection)
    {
        var trimmed = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (trimmed is null && connection.Access.Reason == ReasonRequirement.Required)
        {
            return AccessDecision<string?>.Refuse(
                AccessRule.ReasonRequired,
                $"A reason is required to request {connection.Name}: say why you need it.");
        }

        if (trimmed is { Length: > MaxReasonLength })
        {
            return AccessDecision<string?>.Refuse(
                AccessRule.ReasonTooLong, $"The reason is longer than {MaxReasonLength} characters.");
        }

        return AccessDecision<string?>.Allow(trimmed);
    }

    public const int MaxReasonLength = 1000;

    /// <summary>
    /// Distinct approvers counted with <c>&gt;=</c>: a person in two approver groups counts once,
    /// and an approval beyond the minimum never blocks activation.
    /// </summary>
    public static bool HasEnoughApprovals(IEnumerable<string> approvers, int minApprovals) =>
        approvers.Distinct(StringComparer.OrdinalIgnoreCase).Count() >= minApprovals;

    public static TimeSpan PendingTimeout(AppliancePolicy policy, ConnectionPolicy connection) =>
        connection.Access.PendingTimeout ?? policy.PendingTimeout;
}

/// <summary>Why the access engine refused: carried into the API's problem details as <c>rule</c>.</summary>
public enum AccessRule
{
    None,
    UnknownConnection,
    UnknownUser,
    NotRequester,
    NotApprover,
    SelfApproval,
    AlreadyApproved,
    ReasonRequired,
    ReasonTooLong,
    BadDuration,
    MaxDuration,
    InvalidState,
    NotFound,
    Forbidden,
}

public readonly record struct AccessDecision<T>(bool Allowed, T Value, AccessRule Rule, string? Message)
{
    public static AccessDecision<T> Allow(T value) => new(true, value, AccessRule.None, null);

    public static AccessDecision<T> Refuse(AccessRule rule, string message) => new(false, default!, rule, message);
}
