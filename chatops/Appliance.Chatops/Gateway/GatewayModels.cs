namespace Appliance.Chatops.Gateway;

/// <summary>A connection as <c>GET /api/connections</c> shows it to the acting user.</summary>
internal sealed record GatewayConnection
{
    public required string Name { get; init; }
    public string? Type { get; init; }
    public bool CanRequest { get; init; }
    public bool CanApprove { get; init; }
    public bool AutoApprove { get; init; }
    public string? DefaultDuration { get; init; }
    public string? MaxDuration { get; init; }
    public string? Reason { get; init; }
    public int MinApprovals { get; init; } = 1;
    public string? Channel { get; init; }
}

/// <summary>What <c>POST /api/grants/{id}/credentials</c> returns: shown to the requester only.</summary>
internal sealed record GrantCredentials(string Host, int Port, string User, string Database, string Password, DateTimeOffset? ExpiresAt, string? Uri);

internal sealed record NewRequest(string Connection, string? Duration, string? Reason);
