namespace Appliance.Policy.Configuration;

/// <summary>
/// The validated policy: what <c>config/appliance.yaml</c> says once every name is resolved,
/// every duration parsed and every <c>${NAME}</c> substituted. Immutable; a reload swaps the
/// whole object.
/// </summary>
public sealed record AppliancePolicy
{
    public required IReadOnlyList<UserPolicy> Users { get; init; }
    public required IReadOnlyList<ConnectionPolicy> Connections { get; init; }
    public required IReadOnlyList<GuardrailRule> Guardrails { get; init; }
    public required IReadOnlyList<MaskingProfile> Masking { get; init; }
    public required IReadOnlyList<WebhookPolicy> Webhooks { get; init; }
    /// <summary>
    /// Groups declared under <c>groups:</c>: they exist only in the identity provider, so the
    /// file knows their names but not their members.
    /// </summary>
    public IReadOnlyList<string> Groups { get; init; } = [];
    public IdentityPolicy Identity { get; init; } = new();
    public GatewayPolicy Gateway { get; init; } = new();

    /// <summary>How long a pending request waits for a decision before it expires (default 1h).</summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromHours(1);

    public ConnectionPolicy? FindConnection(string name) =>
        Connections.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    public UserPolicy? FindUser(string email) =>
        Users.FirstOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
}

public sealed record UserPolicy
{
    public required string Email { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    /// <summary><c>admin</c> and/or <c>auditor</c>.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];
}

public sealed record IdentityPolicy
{
    public OidcPolicy? Oidc { get; init; }
    /// <summary>Groups whose members hold the admin role (config or IdP groups).</summary>
    public IReadOnlyList<string> AdminGroups { get; init; } = [];
    /// <summary>Groups whose members hold the auditor role.</summary>
    public IReadOnlyList<string> AuditorGroups { get; init; } = [];
}

public sealed record OidcPolicy
{
    public required string Authority { get; init; }
    public required string Audience { get; init; }
    public string GroupsClaim { get; init; } = "groups";
    public string EmailClaim { get; init; } = "email";
    /// <summary>Only for tests and loopback issuers: allow an http:// authority.</summary>
    public bool RequireHttpsMetadata { get; init; } = true;
}

/// <summary>How the PostgreSQL listener presents itself and protects the client leg.</summary>
public sealed record GatewayPolicy
{
    /// <summary>The host name clients use to reach the gateway (put into grant credentials).</summary>
    public string PublicHost { get; init; } = "localhost";
    /// <summary>The port clients use (defaults to the listener's port).</summary>
    public int? PublicPort { get; init; }
    public string? TlsCertificatePath { get; init; }
    public string? TlsKeyPath { get; init; }
    /// <summary>Accept passwords without TLS from loopback clients. Development only.</summary>
    public bool AllowLoopbackPlaintext { get; init; }
}

public sealed record WebhookPolicy
{
    public required Uri Url { get; init; }
    public required string Secret { get; init; }
    /// <summary>Event type patterns: exact (<c>grant.expired</c>) or a prefix wildcard (<c>grant.*</c>, <c>*</c>).</summary>
    public IReadOnlyList<string> Events { get; init; } = ["*"];

    public bool Wants(string eventType) => Events.Any(p => EventPattern.Matches(p, eventType));

    /// <summary>For logs: never the secret.</summary>
    public override string ToString() => $"{Url} ({string.Join(", ", Events)})";
}

public static class EventPattern
{
    public static bool Matches(string pattern, string eventType) =>
        pattern == "*"
        || string.Equals(pattern, eventType, StringComparison.Ordinal)
        || (pattern.EndsWith(".*", StringComparison.Ordinal)
            && eventType.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal));
}
