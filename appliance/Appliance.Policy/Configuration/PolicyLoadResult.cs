using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Appliance.Policy.Configuration;

/// <summary>Either a validated policy or every error found, sorted by position in the file.</summary>
public sealed class PolicyLoadResult
{
    private PolicyLoadResult(AppliancePolicy? policy, IReadOnlyList<ConfigError> errors)
    {
        Policy = policy;
        Errors = errors;
    }

    public AppliancePolicy? Policy { get; }

    public IReadOnlyList<ConfigError> Errors { get; }

    [MemberNotNullWhen(true, nameof(Policy))]
    public bool IsValid => Policy is not null;

    internal static PolicyLoadResult Valid(AppliancePolicy policy) => new(policy, []);

    internal static PolicyLoadResult Invalid(IReadOnlyList<ConfigError> errors) => new(null, errors);

    /// <summary>A headline and one error per line: what the host prints when it refuses to start.</summary>
    public string Describe(string source)
    {
        if (IsValid)
        {
            return $"{source}: the policy is valid.";
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{source}: {Errors.Count} error{(Errors.Count == 1 ? "" : "s")} in the policy:");
        foreach (var error in Errors)
        {
            text.Append('\n').Append("  ").Append(error);
        }

        return text.ToString();
    }
}
