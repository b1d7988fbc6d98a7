namespace Appliance.Gateway.Events;

/// <summary>The event types of docs/api.md: stable names that webhooks and chatops rely on.</summary>
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
    public const string CommandAbandoned = "command.abandoned";
    public const string SessionStarted = "session.started";
    public const string SessionStatements = "session.statements";
    public const string SessionEnded = "session.ended";

    /// <summary>
    /// The client named itself after its login (<c>SET application_name</c>, as pgjdbc and so DBeaver
    /// do): the session's application from then on, masked as at its start (probe VB4).
    /// </summary>
    public const string SessionApplication = "session.application";
    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";

    /// <summary>The tokens a store held when this version first ran on it (TokenAdoption): from then on every token has a created event.</summary>
    public const string TokensAdopted = "tokens.adopted";

    /// <summary>What chatops subscribes to: everything a person may need to see in chat.</summary>
    public static readonly IReadOnlyList<string> ChatopsSubscription = ["request.*", "grant.*", "guardrail.*", "command.*"];
}
