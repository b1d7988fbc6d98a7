using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary>A connection's <c>access:</c>: groups, approvals, durations, reason.</summary>
public sealed class PolicyLoaderAccessTests
{
    [Theory]
    [InlineData("requesters: [engineering]", "requesters: [enginering]", "requesters[0]")]
    [InlineData("approvers: [dba]", "approvers: [dba, dbas]", "approvers[1]")]
    [InlineData("autoApprove: [oncall]", "autoApprove: [on-call]", "autoApprove[0]")]
    public void Load_UnknownGroup_IsReportedWhereverItIsUsed(string from, string to, string path)
    {
        var yaml = PolicyText.Replace(from, to);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownGroup);

        Assert.Equal($"connections[db-prod].access.{path}", error.Path);
        Assert.EndsWith("(known groups: dba, engineering, oncall)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_GroupsNamedByIdentityRoles_AreKnown()
    {
        var yaml = PolicyText.Replace("requesters: [engineering]", "requesters: [engineering, security]")
            + "\nidentity: { roles: { auditor: [security] } }\n";

        var policy = PolicyText.Valid(PolicyText.Load(yaml));

        Assert.Equal(["engineering", "security"], policy.Connections[0].Access.Requesters);
    }

    [Fact]
    public void Load_NoGroupsAtAll_SaysHowToDeclareThem()
    {
        const string yaml = """
            connections:
              - name: db
                upstream: { host: h, database: d, user: u }
                access: { requesters: [dev], approvers: [ops] }
            """;

        var result = PolicyText.Load(yaml);

        Assert.Equal(2, result.Errors.Count(e => e.Kind == ConfigErrorKind.UnknownGroup));
        Assert.Contains("declare identity-provider groups under 'groups:'", result.Errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("two")]
    public void Load_MinApprovalsBelowOne_IsReported(string value)
    {
        var yaml = PolicyText.Replace("minApprovals: 1", $"minApprovals: {value}");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("connections[db-prod].access.minApprovals", error.Path);
    }

    [Fact]
    public void Load_MinApprovalsAboveTheApprovers_NamesThePeople()
    {
        var yaml = PolicyText.Replace("minApprovals: 1", "minApprovals: 3");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.NotEnoughApprovers);

        Assert.Equal(PolicyText.LineOf(yaml, "minApprovals: 3"), error.Line);
        Assert.Equal(
            "minApprovals is 3 but the approver groups (dba) have only 2 users in this file (bob@example.com, carol@example.com)",
            error.Message);
    }

    [Fact]
    public void Load_PersonInTwoApproverGroups_CountsOnce()
    {
        var yaml = PolicyText.Replace("groups: [dba]\n    roles", "groups: [dba, sre]\n    roles")
            .Replace("approvers: [dba]", "approvers: [dba, sre]", StringComparison.Ordinal)
            .Replace("minApprovals: 1", "minApprovals: 3", StringComparison.Ordinal);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.NotEnoughApprovers);

        Assert.Contains("only 2 users", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MinApprovalsEqualToTheApprovers_IsValid()
    {
        var yaml = PolicyText.Replace("minApprovals: 1", "minApprovals: 2");

        Assert.Equal(2, PolicyText.Valid(PolicyText.Load(yaml)).Connections[0].Access.MinApprovals);
    }

    [Fact]
    public void Load_ApproverGroupFromTheIdentityProvider_IsNotCounted()
    {
        var yaml = PolicyText.Replace("approvers: [dba]", "approvers: [dba, oncall]")
            .Replace("minApprovals: 1", "minApprovals: 5", StringComparison.Ordinal);

        Assert.Equal(5, PolicyText.Valid(PolicyText.Load(yaml)).Connections[0].Access.MinApprovals);
    }

    [Fact]
    public void Load_NoApprovers_IsReported()
    {
        var yaml = PolicyText.Replace("      approvers: [dba]\n", "");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.NotEnoughApprovers);

        Assert.StartsWith("no approvers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NeitherRequestersNorAutoApprove_IsReported()
    {
        var yaml = PolicyText.Replace("      requesters: [engineering]\n", "").Replace("      autoApprove: [oncall]\n", "", StringComparison.Ordinal);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("connections[db-prod].access.requesters", error.Path);
    }

    [Theory]
    [InlineData("defaultDuration: 1h", "defaultDuration: 90x")]
    [InlineData("defaultDuration: 1h", "defaultDuration: 60")]
    [InlineData("defaultDuration: 1h", "defaultDuration: 0s")]
    [InlineData("defaultDuration: 1h", "defaultDuration: 30m1h")]
    [InlineData("maxDuration: 4h", "maxDuration: -4h")]
    [InlineData("hold: 45s", "hold: 45 seconds")]
    [InlineData("autoApprove: [oncall]", "autoApprove: [oncall]\n      pendingTimeout: soon")]
    public void Load_BadDuration_IsReported(string from, string to)
    {
        var yaml = PolicyText.Replace(from, to);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidDuration);

        Assert.EndsWith("is not a duration: write it like 30s, 15m, 1h, 1h30m or 2d", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadTopLevelPendingTimeout_IsReported()
    {
        var error = PolicyText.SingleError(PolicyText.Load(PolicyText.Base + "\npendingTimeout: 1 hour\n"), ConfigErrorKind.InvalidDuration);

        Assert.Equal("pendingTimeout", error.Path);
    }

    [Fact]
    public void Load_Durations_AreParsed()
    {
        var yaml = PolicyText.Replace("defaultDuration: 1h", "defaultDuration: 1h30m")
            .Replace("maxDuration: 4h", "maxDuration: 2d", StringComparison.Ordinal)
            .Replace("autoApprove: [oncall]", "autoApprove: [oncall]\n      pendingTimeout: 15m", StringComparison.Ordinal)
            + "\npendingTimeout: 2h\n";

        var policy = PolicyText.Valid(PolicyText.Load(yaml));

        var access = policy.Connections[0].Access;
        Assert.Equal((TimeSpan.FromMinutes(90), TimeSpan.FromDays(2), TimeSpan.FromMinutes(15)),
            (access.DefaultDuration, access.MaxDuration, access.PendingTimeout));
        Assert.Equal(TimeSpan.FromHours(2), policy.PendingTimeout);
    }

    [Fact]
    public void Load_DefaultLongerThanMax_IsReported()
    {
        var yaml = PolicyText.Replace("defaultDuration: 1h", "defaultDuration: 8h");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("connections[db-prod].access.defaultDuration", error.Path);
        Assert.Equal("defaultDuration 8h is longer than maxDuration 4h", error.Message);
    }

    [Fact]
    public void Load_MaxShorterThanTheDefaultDefault_IsReportedAtMax()
    {
        var yaml = PolicyText.Replace("      defaultDuration: 1h\n", "").Replace("maxDuration: 4h", "maxDuration: 30m", StringComparison.Ordinal);

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("connections[db-prod].access.maxDuration", error.Path);
    }

    [Fact]
    public void Load_UnknownReason_ListsTheChoices()
    {
        var yaml = PolicyText.Replace("reason: required", "reason: mandatory");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("unknown reason setting 'mandatory' (allowed: required, optional)", error.Message);
    }
}
