namespace Appliance.Policy.Guardrails;

internal sealed record GuardrailEngineOptions
{
    public static readonly GuardrailEngineOptions Default = new();

    /// <summary>How long one rule's regular expression may run on one statement; a timeout counts as a match.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Distinct query texts whose verdicts are kept.</summary>
    public int CacheCapacity { get; init; } = 4096;

    /// <summary>Longer texts (bulk INSERTs with literals) are judged every time rather than kept.</summary>
    public int MaxCachedTextBytes { get; init; } = 8192;
}
