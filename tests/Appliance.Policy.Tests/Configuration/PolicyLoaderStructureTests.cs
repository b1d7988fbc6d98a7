using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary>YAML syntax, empty files, unknown keys and values of the wrong shape.</summary>
public sealed class PolicyLoaderStructureTests
{
    [Fact]
    public void Load_BadIndentation_ReportsSyntaxErrorWithLine()
    {
        const string yaml = "users:\n  - email: a@example.com\n groups: [x]\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Syntax);

        Assert.Equal(3, error.Line);
        Assert.StartsWith("YAML syntax error:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnclosedFlowList_ReportsSyntaxError()
    {
        const string yaml = "groups: [a, b\nusers: []\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Syntax);

        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Load_DuplicateKey_ReportsSyntaxErrorAtTheSecond()
    {
        const string yaml = "users: []\nconnections: []\nusers: []\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Syntax);

        Assert.Equal(3, error.Line);
        Assert.Contains("Duplicate key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("# only a comment\n")]
    [InlineData("~\n")]
    public void Load_EmptyDocument_IsRejected(string yaml)
    {
        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Empty);

        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralDocuments_IsRejected()
    {
        var error = PolicyText.SingleError(PolicyText.Load("users: []\n---\nconnections: []\n"), ConfigErrorKind.Syntax);

        Assert.Contains("several YAML documents", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RootIsAList_ReportsWrongType()
    {
        var error = PolicyText.SingleError(PolicyText.Load("- users\n- connections\n"), ConfigErrorKind.WrongType);

        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Load_UnknownTopLevelKey_ListsTheAllowedKeys()
    {
        var yaml = PolicyText.Base + "\nsettings: { debug: true }\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownKey);

        Assert.Equal("settings", error.Path);
        Assert.Equal(PolicyText.LineOf(yaml, "settings"), error.Line);
        Assert.Contains("allowed here: users, groups, identity, connections", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MisspelledNestedKey_SuggestsTheRightOne()
    {
        var yaml = PolicyText.Replace("minApprovals: 1", "minAproval: 1");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownKey);

        Assert.Equal("connections[db-prod].access.minAproval", error.Path);
        Assert.Equal("unknown key 'minAproval' (did you mean 'minApprovals'?)", error.Message);
    }

    [Fact]
    public void Load_ListWhereASingleValueBelongs_ReportsWrongType()
    {
        var yaml = PolicyText.Replace("host: db.internal", "host: [a, b]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.WrongType);

        Assert.Equal("connections[db-prod].upstream.host", error.Path);
        Assert.Contains("expected a single value; found a list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SingleValueWhereAListBelongs_ReportsWrongType()
    {
        var yaml = PolicyText.Replace("approvers: [dba]", "approvers: dba");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.WrongType);

        Assert.Equal("connections[db-prod].access.approvers", error.Path);
    }

    [Fact]
    public void Load_ValueWhereAMappingBelongs_ReportsWrongType()
    {
        var yaml = PolicyText.Replace("match: { statements: [DROP, TRUNCATE] }", "match: DROP");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.WrongType);

        Assert.Equal("guardrails[destructive-ddl].match", error.Path);
    }

    [Fact]
    public void Load_EmptyListEntry_IsReported()
    {
        var yaml = PolicyText.Replace("users:\n", "users:\n  -\n");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("users[0]", error.Path);
    }

    [Fact]
    public void Load_NullEntryInAList_IsReported()
    {
        var yaml = PolicyText.Replace("approvers: [dba]", "approvers: [dba, ~]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("connections[db-prod].access.approvers[1]", error.Path);
    }

    [Fact]
    public void Load_KeyThatIsNotAName_IsReported()
    {
        var yaml = PolicyText.Base + "\n? [a, b]\n: 1\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.WrongType);

        Assert.Equal("a key must be a plain name", error.Message);
    }

    [Fact]
    public void Load_Errors_AreSortedByPosition()
    {
        var yaml = PolicyText.Replace("events: [request.*, grant.*]", "events: [Request]")
            .Replace("email: alice@example.com", "email: alice", StringComparison.Ordinal);

        var result = PolicyText.Load(yaml);

        Assert.Equal(2, result.Errors.Count);
        Assert.True(result.Errors[0].Line < result.Errors[1].Line);
        Assert.Equal("users[alice].email", result.Errors[0].Path);
    }
}
