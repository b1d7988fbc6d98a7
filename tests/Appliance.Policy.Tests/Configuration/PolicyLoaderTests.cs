using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

public sealed class PolicyLoaderTests
{
    [Fact]
    public void Load_ValidPolicy_MapsEverySection()
    {
        var policy = PolicyText.Valid(PolicyText.Load(PolicyText.Base));

        Assert.Equal(["alice@example.com", "bob@example.com", "carol@example.com"], policy.Users.Select(u => u.Email));
        Assert.Equal(["admin"], policy.FindUser("CAROL@example.com")!.Roles);
        Assert.Equal(["oncall"], policy.Groups);

        var db = Assert.Single(policy.Connections);
        Assert.Equal("db-prod", db.Name);
        Assert.Equal("postgres", db.Type);
        Assert.Equal(("db.internal", 5432, "shop", "gateway_ro"), (db.Upstream.Host, db.Upstream.Port, db.Upstream.Database, db.Upstream.User));
        Assert.Equal("s3cret-db-password", db.Upstream.Password);
        Assert.Equal(UpstreamTls.Prefer, db.Upstream.Tls);
        Assert.Equal(["engineering"], db.Access.Requesters);
        Assert.Equal(["dba"], db.Access.Approvers);
        Assert.Equal(["oncall"], db.Access.AutoApprove);
        Assert.Equal(TimeSpan.FromHours(1), db.Access.DefaultDuration);
        Assert.Equal(TimeSpan.FromHours(4), db.Access.MaxDuration);
        Assert.Equal(ReasonRequirement.Required, db.Access.Reason);
        Assert.Equal("db-access", db.Access.Channel);
        Assert.Null(db.Access.PendingTimeout);
        Assert.Equal(AuditMode.Batched, db.Audit);

        Assert.Same(policy.Guardrails[0], db.Guardrails[0]);
        Assert.Equal(["DROP", "TRUNCATE"], policy.Guardrails[0].Statements);
        Assert.Equal(GuardrailAction.Block, policy.Guardrails[0].Action);
        Assert.Equal("Destructive DDL is not allowed.", policy.Guardrails[0].Message);
        Assert.Equal("WHERE", policy.Guardrails[1].Missing);
        Assert.Equal(TimeSpan.FromSeconds(45), policy.Guardrails[1].Hold);

        var pii = Assert.Single(db.Masking);
        Assert.Equal([MaskingDetector.CreditCard, MaskingDetector.UsSsn, MaskingDetector.Email], pii.Detectors);
        Assert.Equal(["ssn", "card_number"], pii.Columns);
        Assert.Equal(@"EMP-\d{6}", Assert.Single(pii.Patterns).Regex);

        var hook = Assert.Single(policy.Webhooks);
        Assert.Equal(new Uri("https://hooks.example.com/appliance"), hook.Url);
        Assert.Equal("s3cret-webhook-key", hook.Secret);
        Assert.True(hook.Wants("grant.expired"));
        Assert.False(hook.Wants("guardrail.blocked"));
        Assert.Equal(TimeSpan.FromHours(1), policy.PendingTimeout);
    }

    [Fact]
    public void Load_OmittedOptionalKeys_TakeTheModelDefaults()
    {
        const string yaml = """
            users: [{ email: a@example.com, groups: [dev] }, { email: b@example.com, groups: [ops] }]
            connections:
              - name: db
                upstream: { host: h, database: d, user: u }
                access: { requesters: [dev], approvers: [ops] }
            """;

        var policy = PolicyText.Valid(PolicyText.Load(yaml));

        var db = Assert.Single(policy.Connections);
        Assert.Equal((5432, "", UpstreamTls.Prefer), (db.Upstream.Port, db.Upstream.Password, db.Upstream.Tls));
        Assert.Equal((1, ReasonRequirement.Optional, AuditMode.Batched), (db.Access.MinApprovals, db.Access.Reason, db.Audit));
        Assert.Empty(db.Guardrails);
        Assert.Empty(policy.Webhooks);
        Assert.Null(policy.Identity.Oidc);
        Assert.Equal("localhost", policy.Gateway.PublicHost);
    }

    [Fact]
    public void Load_ProductMdExample_IsValid()
    {
        // product.md §3 verbatim, including ${NAME} inside a flow mapping.
        const string yaml = """
            users:
              - email: alice@example.com
                groups: [engineering]
              - email: bob@example.com
                groups: [dba]
            groups: [oncall]
            connections:
              - name: db-prod
                type: postgres
                upstream: { host: ${DB_PROD_HOST}, port: 5432, database: shop,
                            user: gateway_ro, password: ${DB_PROD_PASSWORD}, tls: prefer }
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
            guardrails:
              - name: destructive-ddl
                match: { statements: [DROP, TRUNCATE] }
                action: block
                message: Destructive DDL is not allowed through the gateway.
              - name: unbounded-write
                match: { statements: [DELETE, UPDATE], missing: WHERE }
                action: review
              - name: no-sleep
                match: { regex: 'pg_sleep' }
                action: block
            masking:
              - name: pii
                detectors: [credit_card, us_ssn, email]
                columns: [ssn, card_number]
                patterns:
                  - { name: employee-id, regex: 'EMP-\d{6}' }
            webhooks:
              - url: https://hooks.example.com/appliance
                secret: ${WEBHOOK_SECRET}
                events: [request.*, grant.*, guardrail.*]
            """;
        var env = new Dictionary<string, string>(PolicyText.Environment) { ["DB_PROD_HOST"] = "10.0.0.5" };

        var policy = PolicyText.Valid(PolicyText.Load(yaml, env));

        Assert.Equal("10.0.0.5", policy.Connections[0].Upstream.Host);
        Assert.Equal("s3cret-db-password", policy.Connections[0].Upstream.Password);
        Assert.Equal(3, policy.Guardrails.Count);
    }

    [Fact]
    public void Load_FiveDifferentMistakes_ReportsAllFiveWithLines()
    {
        var yaml = PolicyText.Base
            .Replace("approvers: [dba]", "approvers: [dbas]", StringComparison.Ordinal)
            .Replace("maxDuration: 4h", "maxDuration: 4 hours", StringComparison.Ordinal)
            .Replace("minApprovals: 1", "minAproval: 1", StringComparison.Ordinal)
            .Replace("action: block", "action: deny", StringComparison.Ordinal)
            .Replace("[pii]", "[pi]", StringComparison.Ordinal);

        var result = PolicyText.Load(yaml);

        Assert.False(result.IsValid);
        Assert.Equal(5, result.Errors.Count);
        var expected = new (ConfigErrorKind Kind, string Fragment, string Path)[]
        {
            (ConfigErrorKind.UnknownGroup, "dbas", "connections[db-prod].access.approvers[0]"),
            (ConfigErrorKind.UnknownKey, "minAproval", "connections[db-prod].access.minAproval"),
            (ConfigErrorKind.InvalidDuration, "4 hours", "connections[db-prod].access.maxDuration"),
            (ConfigErrorKind.UnknownMasking, "pi]", "connections[db-prod].masking[0]"),
            (ConfigErrorKind.UnknownOption, "deny", "guardrails[destructive-ddl].action"),
        };
        for (var i = 0; i < expected.Length; i++)
        {
            var error = result.Errors[i];
            Assert.Equal(expected[i].Kind, error.Kind);
            Assert.Equal(expected[i].Path, error.Path);
            Assert.Equal(PolicyText.LineOf(yaml, expected[i].Fragment), error.Line);
            Assert.Equal(PolicyText.ColumnOf(yaml, expected[i].Fragment), error.Column);
        }
    }

    [Fact]
    public void Load_UnknownGroup_FormatsLikeACompilerWithKnownGroups()
    {
        var yaml = PolicyText.Replace("approvers: [dba]", "approvers: [dbas]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownGroup);

        var line = PolicyText.LineOf(yaml, "dbas");
        var column = PolicyText.ColumnOf(yaml, "dbas");
        Assert.Equal(
            $"config/appliance.yaml:{line}:{column}: connections[db-prod].access.approvers[0]: unknown group 'dbas' (known groups: dba, engineering, oncall)",
            error.ToString());
    }

    [Fact]
    public void Describe_InvalidResult_ListsEveryErrorOnItsOwnLine()
    {
        var yaml = PolicyText.Replace("tls: prefer", "tls: preferred").Replace("audit: batched", "audit: never", StringComparison.Ordinal);

        var text = PolicyText.Load(yaml).Describe("appliance.yaml");

        var lines = text.Split('\n');
        Assert.Equal("appliance.yaml: 2 errors in the policy:", lines[0]);
        Assert.Contains("unknown tls mode 'preferred' (allowed: disable, prefer, require, verify-full)", lines[1], StringComparison.Ordinal);
        Assert.Contains("unknown audit mode 'never' (allowed: batched, strict)", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigError_WithoutPosition_OmitsLineAndColumn()
    {
        var error = new ConfigError("a.yaml", null, null, "", ConfigErrorKind.Empty, "the policy is empty");

        Assert.Equal("a.yaml: the policy is empty", error.ToString());
    }
}
