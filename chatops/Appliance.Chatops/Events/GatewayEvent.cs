using System.Text.Json;
using Appliance.Chatops.Gateway;

namespace Appliance.Chatops.Events;

/// <summary>A webhook delivery: <c>{"id","type","occurredAt","data":{…}}</c> (docs/api.md, Events).</summary>
internal sealed record GatewayEvent(string Id, string Type, DateTimeOffset? OccurredAt, JsonElement Data)
{
    /// <summary>For request and grant events: the request snapshot.</summary>
    public AccessRequest? Request =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("request", out var r) && r.ValueKind == JsonValueKind.Object
            ? r.Deserialize<AccessRequest>(GatewayClient.Json)
            : null;

    /// <summary>Who caused it: an email, or <c>system</c>.</summary>
    public string? Actor =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("actor", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;

    /// <summary>Why, where the request's state does not say it (an extension's denial).</summary>
    public string? Reason =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("reason", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;

    /// <summary>For guardrail events.</summary>
    public GuardrailEvent? Guardrail =>
        Data.ValueKind == JsonValueKind.Object ? Data.Deserialize<GuardrailEvent>(GatewayClient.Json) : null;
}

/// <summary><c>data</c> of <c>guardrail.blocked</c> and <c>guardrail.alert</c>; the statement is already masked.</summary>
internal sealed record GuardrailEvent(string? Connection, string? Channel, string? User, string? SessionId, string? Rule, string? Action, string? Message, string? Statement, long? StatementSeq = null);
