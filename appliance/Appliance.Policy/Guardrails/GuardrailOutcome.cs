using Appliance.Policy.Configuration;

namespace Appliance.Policy.Guardrails;

/// <summary>What the gateway does with a query, strongest last: the strongest matched action wins.</summary>
internal enum GuardrailOutcome
{
    None = 0,
    Alert = 1,
    Review = 2,
    Block = 3,
}

internal static class GuardrailOutcomes
{
    public static GuardrailOutcome ToOutcome(this GuardrailAction action) => action switch
    {
        GuardrailAction.Block => GuardrailOutcome.Block,
        GuardrailAction.Review => GuardrailOutcome.Review,
        GuardrailAction.Alert => GuardrailOutcome.Alert,
        _ => GuardrailOutcome.Block,
    };
}
