namespace Appliance.Policy.Configuration;

/// <summary>A closed set of words the format accepts for one key, and what each means.</summary>
internal sealed class ConfigOptions<T>(string what, params (string Word, T Value)[] options)
    where T : notnull
{
    public bool TryRead(ConfigReader reader, ConfigScalar scalar, out T value)
    {
        foreach (var (word, option) in options)
        {
            if (string.Equals(word, scalar.Value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = option;
                return true;
            }
        }

        reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.UnknownOption,
            $"unknown {what} '{scalar.Shown}' (allowed: {string.Join(", ", options.Select(o => o.Word))})");
        value = default!;
        return false;
    }
}

/// <summary>The words of the policy format (product.md §3).</summary>
internal static class ConfigWords
{
    public static readonly ConfigOptions<string> ConnectionType = new("connection type", ("postgres", "postgres"));

    public static readonly ConfigOptions<UpstreamTls> Tls = new(
        "tls mode",
        ("disable", UpstreamTls.Disable),
        ("prefer", UpstreamTls.Prefer),
        ("require", UpstreamTls.Require),
        ("verify-full", UpstreamTls.VerifyFull));

    public static readonly ConfigOptions<AuditMode> Audit = new(
        "audit mode", ("batched", AuditMode.Batched), ("strict", AuditMode.Strict));

    public static readonly ConfigOptions<ReasonRequirement> Reason = new(
        "reason setting", ("required", ReasonRequirement.Required), ("optional", ReasonRequirement.Optional));

    public static readonly ConfigOptions<GuardrailAction> Action = new(
        "action", ("block", GuardrailAction.Block), ("review", GuardrailAction.Review), ("alert", GuardrailAction.Alert));

    /// <summary>Only <c>WHERE</c> today (product.md §3: <c>missing: WHERE</c>).</summary>
    public static readonly ConfigOptions<string> MissingClause = new("clause", ("WHERE", "WHERE"));

    public static readonly ConfigOptions<MaskingDetector> Detector = new(
        "detector",
        ("credit_card", MaskingDetector.CreditCard),
        ("us_ssn", MaskingDetector.UsSsn),
        ("email", MaskingDetector.Email));

    public static readonly ConfigOptions<string> Role = new("role", ("admin", "admin"), ("auditor", "auditor"));
}
