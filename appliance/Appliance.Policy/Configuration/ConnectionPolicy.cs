namespace Appliance.Policy.Configuration;

public sealed record ConnectionPolicy
{
    public required string Name { get; init; }
    /// <summary>Only <c>postgres</c> for now.</summary>
    public string Type { get; init; } = "postgres";
    public required UpstreamPolicy Upstream { get; init; }
    public required AccessPolicy Access { get; init; }
    /// <summary>The guardrail rules that apply, in the order the connection lists them.</summary>
    public IReadOnlyList<GuardrailRule> Guardrails { get; init; } = [];
    /// <summary>The masking profiles that apply to every result leaving the gateway.</summary>
    public IReadOnlyList<MaskingProfile> Masking { get; init; } = [];
    /// <summary>
    /// <c>Batched</c> (default): statement records are written off the hot path.
    /// <c>Strict</c>: a statement is forwarded only after its record is committed.
    /// </summary>
    public AuditMode Audit { get; init; } = AuditMode.Batched;
}

public enum AuditMode
{
    Batched,
    Strict,
}

public sealed record UpstreamPolicy
{
    public required string Host { get; init; }
    public int Port { get; init; } = 5432;
    public required string Database { get; init; }
    public required string User { get; init; }
    /// <summary>Never logged, never returned by the API, never written to the audit log.</summary>
    public string Password { get; init; } = "";
    public UpstreamTls Tls { get; init; } = UpstreamTls.Prefer;

    /// <summary>
    /// Whether sessions may run as a superuser. Off by default: a superuser writes the catalogs,
    /// the server's files and programs, and so reaches past every rule the gateway enforces
    /// (probes EJ1, EN1, EN2: a catalog row rewritten renamed functions, added an operator).
    /// </summary>
    public bool AllowSuperuser { get; init; }

    /// <summary>For logs and the API: everything but the password.</summary>
    public override string ToString() => $"{User}@{Host}:{Port}/{Database} (tls {Tls})";
}

public enum UpstreamTls
{
    Disable,
    Prefer,
    Require,
    VerifyFull,
}

public sealed record AccessPolicy
{
    public IReadOnlyList<string> Requesters { get; init; } = [];
    public IReadOnlyList<string> Approvers { get; init; } = [];
    public int MinApprovals { get; init; } = 1;
    public TimeSpan DefaultDuration { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(4);
    public ReasonRequirement Reason { get; init; } = ReasonRequirement.Optional;
    public IReadOnlyList<string> AutoApprove { get; init; } = [];
    /// <summary>The chat channel where this connection's reviews are posted.</summary>
    public string? Channel { get; init; }
    /// <summary>Overrides the policy-wide pending timeout.</summary>
    public TimeSpan? PendingTimeout { get; init; }
}

public enum ReasonRequirement
{
    Optional,
    Required,
}
