using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary><c>${NAME}</c> and <c>${NAME:-default}</c> from the environment.</summary>
public sealed class VariableSubstitutionTests
{
    private static Dictionary<string, string> Env(params (string Name, string Value)[] extra)
    {
        var env = new Dictionary<string, string>(PolicyText.Environment);
        foreach (var (name, value) in extra)
        {
            env[name] = value;
        }

        return env;
    }

    [Fact]
    public void Load_SetVariable_IsSubstituted()
    {
        var yaml = PolicyText.Replace("host: db.internal", "host: ${DB_HOST}.example.com");

        var policy = PolicyText.Valid(PolicyText.Load(yaml, Env(("DB_HOST", "pg-7"))));

        Assert.Equal("pg-7.example.com", policy.Connections[0].Upstream.Host);
    }

    [Fact]
    public void Load_MissingVariable_NamesItWhereItIsUsed()
    {
        var env = new Dictionary<string, string> { ["WEBHOOK_SECRET"] = "x" };

        var error = PolicyText.SingleError(PolicyText.Load(PolicyText.Base, env), ConfigErrorKind.MissingVariable);

        Assert.Equal("connections[db-prod].upstream.password", error.Path);
        Assert.Equal(PolicyText.LineOf(PolicyText.Base, "${DB_PROD_PASSWORD}"), error.Line);
        Assert.StartsWith("environment variable DB_PROD_PASSWORD is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TwoMissingVariablesInOneValue_AreBothReported()
    {
        var yaml = PolicyText.Replace("host: db.internal", "host: ${DB_SHARD}.${DB_ZONE}.internal");

        var result = PolicyText.Load(yaml);

        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.Equal(ConfigErrorKind.MissingVariable, e.Kind));
        Assert.Contains("DB_SHARD", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("DB_ZONE", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnsetVariableWithDefault_TakesTheDefault()
    {
        var yaml = PolicyText.Replace("port: 5432", "port: ${DB_PORT:-6543}");

        Assert.Equal(6543, PolicyText.Valid(PolicyText.Load(yaml)).Connections[0].Upstream.Port);
    }

    [Fact]
    public void Load_EmptyVariableWithDefault_TakesTheDefault()
    {
        var yaml = PolicyText.Replace("port: 5432", "port: ${DB_PORT:-6543}");

        Assert.Equal(6543, PolicyText.Valid(PolicyText.Load(yaml, Env(("DB_PORT", "")))).Connections[0].Upstream.Port);
    }

    [Fact]
    public void Load_SetVariableWithDefault_TakesTheVariable()
    {
        var yaml = PolicyText.Replace("port: 5432", "port: ${DB_PORT:-6543}");

        Assert.Equal(7000, PolicyText.Valid(PolicyText.Load(yaml, Env(("DB_PORT", "7000")))).Connections[0].Upstream.Port);
    }

    [Fact]
    public void Load_EmptyDefault_IsAnEmptyValue()
    {
        var yaml = PolicyText.Replace("password: ${DB_PROD_PASSWORD}", "password: ${NO_PASSWORD:-}");

        Assert.Equal("", PolicyText.Valid(PolicyText.Load(yaml)).Connections[0].Upstream.Password);
    }

    [Fact]
    public void Load_DefaultWithFlowIndicators_InsideAFlowMapping_Parses()
    {
        // product.md writes references inside { … }, where a plain '{', '}' or ',' would end the value.
        var yaml = PolicyText.Replace("match: { statements: [DROP, TRUNCATE] }", "match: { statements: [DROP], regex: ${DDL_REGEX:-drop, truncate} }");

        var rule = PolicyText.Valid(PolicyText.Load(yaml)).Guardrails[0];

        Assert.Equal("drop, truncate", rule.Regex);
    }

    [Fact]
    public void Load_ReferenceInFlowMapping_KeepsColumnsOfLaterValues()
    {
        const string yaml = """
            users: [{ email: a@example.com, groups: [dev] }, { email: b@example.com, groups: [ops] }]
            connections:
              - name: db
                upstream: { host: ${DB_HOST:-127.0.0.1}, port: 99999, database: d, user: u }
                access: { requesters: [dev], approvers: [ops] }
            """;

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal(PolicyText.ColumnOf(yaml, "99999"), error.Column);
    }

    [Fact]
    public void Load_EscapedReference_IsLiteral()
    {
        var yaml = PolicyText.Replace("message: Destructive DDL is not allowed.", "message: 'costs $${PRICE}'");

        Assert.Equal("costs ${PRICE}", PolicyText.Valid(PolicyText.Load(yaml)).Guardrails[0].Message);
    }

    [Theory]
    [InlineData("'${1DB}'")]
    [InlineData("'${DB HOST}'")]
    [InlineData("'${DB_HOST'")]
    [InlineData("'${}'")]
    public void Load_MalformedReference_IsReported(string value)
    {
        var yaml = PolicyText.Replace("host: db.internal", $"host: {value}");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MalformedVariable);

        Assert.Equal("connections[db-prod].upstream.host", error.Path);
    }

    [Fact]
    public void Load_InvalidValueFromTheEnvironment_ShowsTheReferenceNotTheValue()
    {
        var yaml = PolicyText.Replace("port: 5432", "port: ${DB_PORT}")
            .Replace("url: https://hooks.example.com/appliance", "url: ${HOOK_URL}", StringComparison.Ordinal);
        var env = Env(("DB_PORT", "hunter2"), ("HOOK_URL", "not-a-url-hunter2"));

        var result = PolicyText.Load(yaml, env);

        Assert.Equal(2, result.Errors.Count);
        Assert.Equal("'${DB_PORT}' is not a whole number from 1 to 65535", result.Errors[0].Message);
        Assert.Equal("'${HOOK_URL}' is not an absolute http(s) URL", result.Errors[1].Message);
        Assert.DoesNotContain("hunter2", result.Describe(PolicyText.Source), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReferenceInAComment_IsIgnored()
    {
        var yaml = "# set ${NOT_SET} before starting\n" + PolicyText.Base;

        Assert.True(PolicyText.Load(yaml).IsValid);
    }

    [Fact]
    public void Load_ValueContainingYamlSyntax_StaysOneValue()
    {
        var policy = PolicyText.Valid(PolicyText.Load(PolicyText.Base, Env(("DB_PROD_PASSWORD", "a: b, [c] # d"))));

        Assert.Equal("a: b, [c] # d", policy.Connections[0].Upstream.Password);
    }
}
