namespace Appliance.Chatops.Events;

/// <summary>The gateway's event types (docs/api.md, Events).</summary>
internal static class EventTypes
{
    public const string RequestCreated = "request.created";
    public const string RequestApprovalAdded = "request.approval_added";
    public const string RequestApproved = "request.approved";
    public const string RequestDenied = "request.denied";
    public const string RequestCancelled = "request.cancelled";
    public const string RequestExpired = "request.expired";
    public const string GrantExtensionRequested = "grant.extension_requested";
    public const string GrantExtended = "grant.extended";
    public const string GrantExtensionDenied = "grant.extension_denied";
    public const string GrantExpiring = "grant.expiring";
    public const string GrantExpired = "grant.expired";
    public const string GrantRevoked = "grant.revoked";
    public const string GuardrailBlocked = "guardrail.blocked";
    public const string GuardrailAlert = "guardrail.alert";
    public const string CommandExecuted = "command.executed";
}
