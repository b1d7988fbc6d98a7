namespace Appliance.Chatops.Gateway;

/// <summary>An RFC 7807 refusal from the gateway, with the <c>rule</c> that refused.</summary>
internal sealed record GatewayProblem(int Status, string? Title, string? Detail, string? RuleName)
{
    public GatewayRule Rule => GatewayRules.Parse(RuleName);

    /// <summary>The most specific human text the gateway gave.</summary>
    public string Message => Detail ?? Title ?? $"The gateway answered HTTP {Status}.";
}

/// <summary>The refusal rules of docs/api.md that chat answers differently.</summary>
internal enum GatewayRule
{
    Other,
    SelfApproval,
    NotApprover,
    AlreadyApproved,
    NotRequester,
    ReasonRequired,
    UnknownConnection,
    MaxDuration,
    BadDuration,
    InvalidState,
    UnknownUser,
    NotFound,
    Forbidden,
    ReasonTooLong,
}

internal static class GatewayRules
{
    public static GatewayRule Parse(string? rule) => rule switch
    {
        "self-approval" => GatewayRule.SelfApproval,
        "not-approver" => GatewayRule.NotApprover,
        "already-approved" => GatewayRule.AlreadyApproved,
        "not-requester" => GatewayRule.NotRequester,
        "reason-required" => GatewayRule.ReasonRequired,
        "unknown-connection" => GatewayRule.UnknownConnection,
        "max-duration" => GatewayRule.MaxDuration,
        "bad-duration" => GatewayRule.BadDuration,
        "invalid-state" => GatewayRule.InvalidState,
        "unknown-user" => GatewayRule.UnknownUser,
        "not-found" => GatewayRule.NotFound,
        "forbidden" => GatewayRule.Forbidden,
        "reason-too-long" => GatewayRule.ReasonTooLong,
        _ => GatewayRule.Other,
    };
}
