namespace Appliance.Chatops.Events;

/// <summary>
/// The gateway event types chat reacts to by name (docs/api.md, Events). Chatops knows the
/// gateway only through its contract, so the names are repeated here, not referenced.
/// Every other request or grant event still refreshes the card from its snapshot.
/// </summary>
internal static class EventTypes
{
    public const string RequestCreated = "request.created";
    public const string RequestApproved = "request.approved";
    public const string RequestDenied = "request.denied";
    public const string RequestExpired = "request.expired";
    public const string RequestCancelled = "request.cancelled";
    public const string GrantExtensionRequested = "grant.extension_requested";
    public const string GrantExtended = "grant.extended";
    public const string GrantExtensionDenied = "grant.extension_denied";
    public const string GrantExpiring = "grant.expiring";
    public const string GrantExpired = "grant.expired";
    public const string GrantRevoked = "grant.revoked";
    public const string GuardrailBlocked = "guardrail.blocked";
    public const string GuardrailAlert = "guardrail.alert";
}
