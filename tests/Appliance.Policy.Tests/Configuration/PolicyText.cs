using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary>A valid policy using every section, and helpers to break it one way at a time.</summary>
internal static class PolicyText
{
    public const string Source = "config/appliance.yaml";

    public const string Base = """
        users:
          - email: alice@example.com
            groups: [engineering]
          - email: bob@example.com
            groups: [dba]
          - email: carol@example.com
            groups: [dba]
            roles: [admin]
        groups: [oncall]
        connections:
          - name: db-prod
            upstream:
              host: db.internal
              port: 5432
              database: shop
              user: gateway_ro
              password: ${DB_PROD_PASSWORD}
              tls: prefer
            access:
              requesters: [engineering]
              approvers: [dba]
              minApprovals: 1
              defaultDuration: 1h
              maxDuration: 4h
              reason: required
              autoApprove: [oncall]
              channel: db-access
            guardrails: [destructive-ddl, unbounded-write]
            masking: [pii]
            audit: batched
        guardrails:
          - name: destructive-ddl
            match: { statements: [DROP, TRUNCATE] }
            action: block
            message: Destructive DDL is not allowed.
          - name: unbounded-write
            match: { statements: [DELETE, UPDATE], missing: WHERE }
            action: review
            hold: 45s
        masking:
          - name: pii
            detectors: [credit_card, us_ssn, email]
            columns: [ssn, card_number]
            patterns:
              - { name: employee-id, regex: 'EMP-\d{6}' }
        webhooks:
          - url: https://hooks.example.com/appliance
            secret: ${WEBHOOK_SECRET}
            events: [request.*, grant.*]
        """;

    public static readonly Dictionary<string, string> Environment = new()
    {
        ["DB_PROD_PASSWORD"] = "s3cret-db-password",
        ["WEBHOOK_SECRET"] = "s3cret-webhook-key",
    };

    public static PolicyLoadResult Load(string yaml, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = environment ?? Environment;
        return PolicyLoader.Load(yaml, Source, name => env.GetValueOrDefault(name));
    }

    /// <summary>The base text with one fragment replaced; fails if the fragment is not there.</summary>
    public static string Replace(string from, string to)
    {
        Assert.Contains(from, Base, StringComparison.Ordinal);
        return Base.Replace(from, to, StringComparison.Ordinal);
    }

    /// <summary>The 1-based line of the first occurrence of <paramref name="fragment"/>.</summary>
    public static int LineOf(string yaml, string fragment)
    {
        var index = yaml.IndexOf(fragment, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{fragment}' is not in the text");
        return yaml.AsSpan(0, index).Count('\n') + 1;
    }

    /// <summary>The 1-based column of the first occurrence of <paramref name="fragment"/>.</summary>
    public static int ColumnOf(string yaml, string fragment)
    {
        var index = yaml.IndexOf(fragment, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{fragment}' is not in the text");
        return index - yaml.LastIndexOf('\n', Math.Max(0, index - 1));
    }

    /// <summary>Asserts the load failed with exactly one error, of this kind, and returns it.</summary>
    public static ConfigError SingleError(PolicyLoadResult result, ConfigErrorKind kind)
    {
        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal(kind, error.Kind);
        return error;
    }

    public static AppliancePolicy Valid(PolicyLoadResult result)
    {
        Assert.True(result.IsValid, result.Describe(Source));
        return result.Policy;
    }
}
