using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary><c>guardrails:</c>, <c>masking:</c> and <c>webhooks:</c>.</summary>
public sealed class PolicyLoaderRulesTests
{
    [Fact]
    public void Load_DuplicateGuardrailName_IsReported()
    {
        var yaml = PolicyText.Replace("name: unbounded-write", "name: destructive-ddl")
            .Replace("[destructive-ddl, unbounded-write]", "[destructive-ddl]", StringComparison.Ordinal);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Duplicate);

        Assert.Equal("guardrails[destructive-ddl].name", error.Path);
        Assert.Equal(PolicyText.LineOf(yaml, "name: destructive-ddl\n    match: { statements: [DELETE"), error.Line);
    }

    [Fact]
    public void Load_UnknownAction_ListsTheActions()
    {
        var yaml = PolicyText.Replace("action: review", "action: hold");

        var result = PolicyText.Load(yaml);

        var error = Assert.Single(result.Errors, e => e.Kind == ConfigErrorKind.UnknownOption);
        Assert.Equal("unknown action 'hold' (allowed: block, review, alert)", error.Message);
    }

    [Fact]
    public void Load_GuardrailWithoutAction_IsReported()
    {
        var yaml = PolicyText.Replace("    action: block\n", "");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("guardrails[destructive-ddl].action", error.Path);
    }

    [Fact]
    public void Load_InvalidGuardrailRegex_ReportsTheRegexError()
    {
        var yaml = PolicyText.Replace("match: { statements: [DROP, TRUNCATE] }", "match: { regex: 'pg_sleep(' }");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidRegex);

        Assert.Equal("guardrails[destructive-ddl].match.regex", error.Path);
        Assert.Equal("invalid regex 'pg_sleep(': insufficient closing parentheses at offset 9", error.Message);
    }

    [Fact]
    public void Load_EmptyRegex_IsReported()
    {
        var yaml = PolicyText.Replace("match: { statements: [DROP, TRUNCATE] }", "match: { regex: '' }");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidRegex);

        Assert.Equal("the regex is empty", error.Message);
    }

    [Fact]
    public void Load_MatchWithoutStatementsOrRegex_IsReported()
    {
        var yaml = PolicyText.Replace("match: { statements: [DROP, TRUNCATE] }", "match: { missing: WHERE }");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("guardrails[destructive-ddl].match", error.Path);
    }

    [Fact]
    public void Load_UnknownMissingClause_IsReported()
    {
        var yaml = PolicyText.Replace("missing: WHERE", "missing: LIMIT");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("unknown clause 'LIMIT' (allowed: WHERE)", error.Message);
    }

    [Fact]
    public void Load_StatementKeywords_AreNormalisedToUpperCase()
    {
        var yaml = PolicyText.Replace("[DROP, TRUNCATE]", "[drop, 'alter   table']");

        Assert.Equal(["DROP", "ALTER TABLE"], PolicyText.Valid(PolicyText.Load(yaml)).Guardrails[0].Statements);
    }

    [Fact]
    public void Load_StatementThatIsNotAKeyword_IsReported()
    {
        var yaml = PolicyText.Replace("[DROP, TRUNCATE]", "[DROP, 'TRUNCATE;']");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("guardrails[destructive-ddl].match.statements[1]", error.Path);
    }

    [Fact]
    public void Load_HoldOnANonReviewRule_IsReported()
    {
        var yaml = PolicyText.Replace("    action: block\n", "    action: block\n    hold: 10s\n");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("'hold' applies only to action: review", error.Message);
    }

    [Theory]
    [InlineData("Upstream-Role")]
    [InlineData("other-sessions")]
    public void Load_ARuleNamedAsABuiltInOne_IsReported(string name)
    {
        var yaml = PolicyText.Replace("destructive-ddl", name);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Contains("built-in rule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReviewRuleWithoutHold_GetsTheDefaultHold()
    {
        var yaml = PolicyText.Replace("    hold: 45s\n", "");

        Assert.Equal(TimeSpan.FromSeconds(30), PolicyText.Valid(PolicyText.Load(yaml)).Guardrails[1].Hold);
    }

    [Fact]
    public void Load_DuplicateMaskingName_IsReported()
    {
        var yaml = PolicyText.Replace("masking:\n", "masking:\n  - name: pii\n    columns: [email]\n");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Duplicate);

        Assert.Equal($"duplicate masking profile 'pii' (first defined on line {PolicyText.LineOf(yaml, "name: pii")})", error.Message);
        Assert.True(error.Line > PolicyText.LineOf(yaml, "name: pii"));
    }

    [Fact]
    public void Load_UnknownDetector_ListsTheDetectors()
    {
        var yaml = PolicyText.Replace("[credit_card, us_ssn, email]", "[credit_card, iban]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("masking[pii].detectors[1]", error.Path);
        Assert.Equal("unknown detector 'iban' (allowed: credit_card, us_ssn, email)", error.Message);
    }

    [Fact]
    public void Load_AColumnRuleNamingTableDotColumn_IsReported()
    {
        // Probe AK: customers.phone was taken for a column of that very name and masked nothing.
        var yaml = PolicyText.Replace("columns: [ssn, card_number]", "columns: [ssn, customers.phone]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("masking[pii].columns[1]", error.Path);
        Assert.Contains("a column rule names a column, not table.column", error.Message, StringComparison.Ordinal);
        Assert.Contains("('phone')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicatePatternName_IsReported()
    {
        var yaml = PolicyText.Replace("      - { name: employee-id, regex: 'EMP-\\d{6}' }",
            "      - { name: employee-id, regex: 'EMP-\\d{6}' }\n      - { name: employee-id, regex: 'E\\d+' }");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Duplicate);

        Assert.Equal("masking[pii].patterns[employee-id].name", error.Path);
    }

    [Fact]
    public void Load_InvalidPatternRegex_IsReported()
    {
        var yaml = PolicyText.Replace("regex: 'EMP-\\d{6}'", "regex: 'EMP-[0-9'");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidRegex);

        Assert.Equal("masking[pii].patterns[employee-id].regex", error.Path);
    }

    [Fact]
    public void Load_PatternWithoutRegex_IsReported()
    {
        var yaml = PolicyText.Replace("{ name: employee-id, regex: 'EMP-\\d{6}' }", "{ name: employee-id }");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("masking[pii].patterns[employee-id].regex", error.Path);
    }

    [Fact]
    public void Load_EmptyMaskingProfile_IsReported()
    {
        var yaml = PolicyText.Replace("masking:\n", "masking:\n  - name: nothing\n");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("masking[nothing]", error.Path);
    }

    [Theory]
    [InlineData("/appliance")]
    [InlineData("ftp://hooks.example.com/x")]
    [InlineData("hooks.example.com")]
    public void Load_WebhookUrlNotAbsoluteHttp_IsReported(string url)
    {
        var yaml = PolicyText.Replace("url: https://hooks.example.com/appliance", $"url: {url}");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("webhooks[0].url", error.Path);
        Assert.Equal($"'{url}' is not an absolute http(s) URL", error.Message);
    }

    [Fact]
    public void Load_WebhookWithoutSecret_IsReported()
    {
        var yaml = PolicyText.Replace("    secret: ${WEBHOOK_SECRET}\n", "");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("webhooks[0].secret", error.Path);
    }

    [Fact]
    public void Load_BadEventPattern_IsReported()
    {
        var yaml = PolicyText.Replace("events: [request.*, grant.*]", "events: [request.*, 'grant*']");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("webhooks[0].events[1]", error.Path);
    }

    [Fact]
    public void Load_WebhookWithoutEvents_GetsEverything()
    {
        var yaml = PolicyText.Replace("    events: [request.*, grant.*]", "");

        var hook = Assert.Single(PolicyText.Valid(PolicyText.Load(yaml)).Webhooks);

        Assert.Equal(["*"], hook.Events);
        Assert.DoesNotContain("s3cret", hook.ToString(), StringComparison.Ordinal);
    }
}
