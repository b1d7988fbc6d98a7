namespace Appliance.Gateway.Events;

/// <summary>An event about to be appended: what happened, to what, by whom.</summary>
internal sealed record NewEvent(
    string Type,
    DateTimeOffset OccurredAt,
    string DataJson,
    string? Actor = null,
    string? Connection = null,
    string? RequestId = null,
    string? SessionId = null)
{
    public string Id { get; init; } = Access.Ids.NewEventId();
}

/// <summary>An event as stored: its place in the chain and the hashes that seal it.</summary>
internal sealed class StoredEvent
{
    public long Seq { get; set; }
    public string Id { get; set; } = "";
    public string Type { get; set; } = "";
    public long OccurredAt { get; set; }
    public string? Actor { get; set; }
    public string? Connection { get; set; }
    public string? RequestId { get; set; }
    public string? SessionId { get; set; }
    public string Data { get; set; } = "{}";
    public string PrevHash { get; set; } = "";
    public string Hash { get; set; } = "";
}
