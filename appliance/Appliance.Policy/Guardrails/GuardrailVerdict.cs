namespace Appliance.Policy.Guardrails;

/// <summary>
/// The judgement of one query: the strongest action over all its statements and every rule
/// that matched. Immutable and shared: cached verdicts are returned to many sessions.
/// </summary>
internal sealed class GuardrailVerdict
{
    /// <summary>No rule matched: the query runs.</summary>
    public static readonly GuardrailVerdict Allow = new(GuardrailOutcome.None, []);

    public GuardrailVerdict(GuardrailOutcome outcome, IReadOnlyList<GuardrailMatch> matches)
    {
        Outcome = outcome;
        Matches = matches;
    }

    public GuardrailOutcome Outcome { get; }

    public IReadOnlyList<GuardrailMatch> Matches { get; }

    /// <summary>The query may be forwarded now (nothing matched, or only alerts).</summary>
    public bool MayRun => Outcome <= GuardrailOutcome.Alert;

    /// <summary>The first match with the strongest action: the one to name in the client's error.</summary>
    public GuardrailMatch? Deciding => Matches.Count == 0 ? null : Matches.MaxBy(m => m.Outcome);
}
