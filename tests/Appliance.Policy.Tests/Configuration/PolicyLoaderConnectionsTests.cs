using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary>A connection's name, type, upstream and references.</summary>
public sealed class PolicyLoaderConnectionsTests
{
    private const string SecondConnection = """

          - name: DB-PROD
            upstream: { host: h, database: d, user: u }
            access: { requesters: [engineering], approvers: [dba] }
        """;

    [Fact]
    public void Load_DuplicateConnectionName_IgnoringCase_IsReported()
    {
        var yaml = PolicyText.Replace("    audit: batched", "    audit: batched" + SecondConnection);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Duplicate);

        Assert.Equal("connections[DB-PROD].name", error.Path);
        Assert.Equal(PolicyText.LineOf(yaml, "DB-PROD"), error.Line);
        Assert.Contains($"first defined on line {PolicyText.LineOf(yaml, "db-prod")}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("'db prod'")]
    [InlineData("-db")]
    [InlineData("'db/prod'")]
    public void Load_InvalidConnectionName_IsReported(string name)
    {
        var yaml = PolicyText.Replace("name: db-prod", $"name: {name}");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Contains("is not a valid name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ConnectionWithoutName_IsReported()
    {
        var yaml = PolicyText.Replace("  - name: db-prod\n    upstream:", "  - upstream:");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("connections[0].name", error.Path);
    }

    [Fact]
    public void Load_UnknownConnectionType_IsReported()
    {
        var yaml = PolicyText.Replace("  - name: db-prod\n", "  - name: db-prod\n    type: mysql\n");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("unknown connection type 'mysql' (allowed: postgres)", error.Message);
    }

    [Theory]
    [InlineData("      host: db.internal\n", "host")]
    [InlineData("      database: shop\n", "database")]
    [InlineData("      user: gateway_ro\n", "user")]
    public void Load_UpstreamWithoutRequiredKey_IsReported(string line, string key)
    {
        var yaml = PolicyText.Replace(line, "");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal($"connections[db-prod].upstream.{key}", error.Path);
        Assert.Equal($"'{key}' is required", error.Message);
    }

    [Fact]
    public void Load_BlankUpstreamHost_IsReported()
    {
        var yaml = PolicyText.Replace("host: db.internal", "host: '  '");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("'host' must not be empty", error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("fivefourthreetwo")]
    public void Load_PortOutOfRange_IsReported(string port)
    {
        var yaml = PolicyText.Replace("port: 5432", $"port: {port}");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("connections[db-prod].upstream.port", error.Path);
        Assert.Equal($"'{port}' is not a whole number from 1 to 65535", error.Message);
    }

    [Fact]
    public void Load_UnknownTlsMode_ListsTheModes()
    {
        var yaml = PolicyText.Replace("tls: prefer", "tls: verify_full");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("unknown tls mode 'verify_full' (allowed: disable, prefer, require, verify-full)", error.Message);
    }

    [Fact]
    public void Load_TlsAndAuditModes_AreMapped()
    {
        var yaml = PolicyText.Replace("tls: prefer", "tls: verify-full").Replace("audit: batched", "audit: strict", StringComparison.Ordinal);

        var db = PolicyText.Valid(PolicyText.Load(yaml)).Connections[0];

        Assert.Equal((UpstreamTls.VerifyFull, AuditMode.Strict), (db.Upstream.Tls, db.Audit));
    }

    [Fact]
    public void Load_UnknownAuditMode_IsReported()
    {
        var yaml = PolicyText.Replace("audit: batched", "audit: sync");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("unknown audit mode 'sync' (allowed: batched, strict)", error.Message);
    }

    [Theory]
    [InlineData("upstream")]
    [InlineData("access")]
    public void Load_ConnectionWithoutSection_IsReported(string section)
    {
        var yaml = PolicyText.Replace($"    {section}:\n", $"    un{section}:\n");

        var result = PolicyText.Load(yaml);

        Assert.Contains(result.Errors, e => e.Kind == ConfigErrorKind.MissingValue && e.Path == $"connections[db-prod].{section}");
        Assert.Contains(result.Errors, e => e.Kind == ConfigErrorKind.UnknownKey && e.Path == $"connections[db-prod].un{section}");
    }

    [Fact]
    public void Load_UnknownGuardrailReference_ListsTheDefinedOnes()
    {
        var yaml = PolicyText.Replace("guardrails: [destructive-ddl, unbounded-write]", "guardrails: [destructive-ddl, no-sleep]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownGuardrail);

        Assert.Equal("connections[db-prod].guardrails[1]", error.Path);
        Assert.Equal("unknown guardrail 'no-sleep' (defined: destructive-ddl, unbounded-write)", error.Message);
    }

    [Fact]
    public void Load_GuardrailReferenceInOtherCase_IsUnknown()
    {
        var yaml = PolicyText.Replace("[destructive-ddl, unbounded-write]", "[Destructive-DDL]");

        PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownGuardrail);
    }

    [Fact]
    public void Load_UnknownMaskingReference_IsReported()
    {
        var yaml = PolicyText.Replace("masking: [pii]", "masking: [pii, phi]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownMasking);

        Assert.Equal("unknown masking profile 'phi' (defined: pii)", error.Message);
    }

    [Fact]
    public void Load_ReferenceListedTwice_IsReported()
    {
        var yaml = PolicyText.Replace("masking: [pii]", "masking: [pii, pii]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Duplicate);

        Assert.Equal("connections[db-prod].masking[1]", error.Path);
    }

    [Fact]
    public void Load_GuardrailThatHasErrors_IsNotAlsoReportedAsUnknown()
    {
        var yaml = PolicyText.Replace("action: block", "action: stop");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("guardrails[destructive-ddl].action", error.Path);
    }
}
