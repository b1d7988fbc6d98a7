namespace Appliance.Policy.Configuration;

/// <summary>One guardrail as configured. The SQL engine compiles it into a matcher.</summary>
public sealed record GuardrailRule
{
    public required string Name { get; init; }
    /// <summary>Statement kinds (upper case first keyword(s), e.g. <c>DROP</c>, <c>DELETE</c>, <c>ALTER</c>).</summary>
    public IReadOnlyList<string> Statements { get; init; } = [];
    /// <summary>A clause whose absence is required for a match: only <c>WHERE</c> today.</summary>
    public string? Missing { get; init; }
    /// <summary>A .NET regular expression matched (case-insensitively) against the statement text.</summary>
    public string? Regex { get; init; }
    public required GuardrailAction Action { get; init; }
    public string? Message { get; init; }
    /// <summary>For <c>review</c>: how long the client's statement is held waiting for a decision.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(30);
}

public enum GuardrailAction
{
    Block,
    Review,
    Alert,
}

/// <summary>One masking profile as configured.</summary>
public sealed record MaskingProfile
{
    public required string Name { get; init; }
    public IReadOnlyList<MaskingDetector> Detectors { get; init; } = [];
    /// <summary>Result columns masked whole, by name (case-insensitive).</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];
    public IReadOnlyList<MaskingPattern> Patterns { get; init; } = [];
}

public enum MaskingDetector
{
    CreditCard,
    UsSsn,
    Email,
}

public sealed record MaskingPattern
{
    public required string Name { get; init; }
    public required string Regex { get; init; }
}
