using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary><c>users:</c>, <c>groups:</c>, <c>identity:</c> and <c>gateway:</c>.</summary>
public sealed class PolicyLoaderUsersTests
{
    [Fact]
    public void Load_DuplicateEmail_IgnoringCase_IsReported()
    {
        var yaml = PolicyText.Replace("email: carol@example.com", "email: Alice@Example.com");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Duplicate);

        Assert.Equal(PolicyText.LineOf(yaml, "Alice@Example.com"), error.Line);
        Assert.Equal("duplicate user 'Alice@Example.com' (first defined on line 2)", error.Message);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("alice@localhost")]
    [InlineData("'a b@example.com'")]
    public void Load_MalformedEmail_IsReported(string email)
    {
        var yaml = PolicyText.Replace("email: alice@example.com", $"email: {email}");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.EndsWith("is not an email address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UserWithoutEmail_IsReported()
    {
        var yaml = PolicyText.Replace("  - email: bob@example.com\n    groups: [dba]", "  - groups: [dba]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("users[1].email", error.Path);
    }

    [Fact]
    public void Load_UnknownRole_ListsTheRoles()
    {
        var yaml = PolicyText.Replace("roles: [admin]", "roles: [admin, superuser]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.UnknownOption);

        Assert.Equal("users[carol@example.com].roles[1]", error.Path);
        Assert.Equal("unknown role 'superuser' (allowed: admin, auditor)", error.Message);
    }

    [Fact]
    public void Load_GroupDeclaredTwice_IsReported()
    {
        var yaml = PolicyText.Replace("groups: [oncall]", "groups: [oncall, oncall]");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.Duplicate);

        Assert.Equal("groups[1]", error.Path);
    }

    [Fact]
    public void Load_EmptyGroupName_IsReported()
    {
        var yaml = PolicyText.Replace("groups: [engineering]", "groups: [engineering, '']");

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("users[alice@example.com].groups[1]", error.Path);
    }

    [Fact]
    public void Load_Identity_MapsOidcAndRoleGroups()
    {
        var yaml = PolicyText.Base + """

            identity:
              oidc: { authority: 'https://login.example.com/realms/x', audience: appliance, groupsClaim: roles }
              roles: { admin: [platform-admins], auditor: [security] }
            """;

        var policy = PolicyText.Valid(PolicyText.Load(yaml));

        var oidc = policy.Identity.Oidc!;
        Assert.Equal(("https://login.example.com/realms/x", "appliance", "roles", "email", true),
            (oidc.Authority, oidc.Audience, oidc.GroupsClaim, oidc.EmailClaim, oidc.RequireHttpsMetadata));
        Assert.Equal(["platform-admins"], policy.Identity.AdminGroups);
        Assert.Equal(["security"], policy.Identity.AuditorGroups);
    }

    [Fact]
    public void Load_HttpAuthority_NeedsRequireHttpsMetadataFalse()
    {
        var refused = PolicyText.Base + "\nidentity: { oidc: { authority: 'http://127.0.0.1:9000', audience: a } }\n";
        var allowed = PolicyText.Base + "\nidentity: { oidc: { authority: 'http://127.0.0.1:9000', audience: a, requireHttpsMetadata: false } }\n";

        var error = PolicyText.SingleError(PolicyText.Load(refused), ConfigErrorKind.InvalidValue);

        Assert.Equal("identity.oidc.authority", error.Path);
        Assert.False(PolicyText.Valid(PolicyText.Load(allowed)).Identity.Oidc!.RequireHttpsMetadata);
    }

    [Fact]
    public void Load_OidcWithoutAudience_IsReported()
    {
        var yaml = PolicyText.Base + "\nidentity: { oidc: { authority: 'https://login.example.com' } }\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.MissingValue);

        Assert.Equal("identity.oidc.audience", error.Path);
    }

    [Fact]
    public void Load_RequireHttpsMetadataNotABoolean_IsReported()
    {
        var yaml = PolicyText.Base + "\nidentity: { oidc: { authority: 'https://l.example.com', audience: a, requireHttpsMetadata: maybe } }\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), ConfigErrorKind.InvalidValue);

        Assert.Equal("'maybe' is not true or false", error.Message);
    }

    [Fact]
    public void Load_Gateway_MapsEveryKey()
    {
        var yaml = PolicyText.Base + """

            gateway:
              publicHost: db-gateway.example.com
              publicPort: 6432
              tls: { certificate: certs/gw.crt, key: certs/gw.key }
              allowLoopbackPlaintext: true
            """;

        var gateway = PolicyText.Valid(PolicyText.Load(yaml)).Gateway;

        Assert.Equal(("db-gateway.example.com", 6432, "certs/gw.crt", "certs/gw.key", true),
            (gateway.PublicHost, gateway.PublicPort, gateway.TlsCertificatePath, gateway.TlsKeyPath, gateway.AllowLoopbackPlaintext));
    }

    [Theory]
    [InlineData("publicPort: 0", "gateway.publicPort", ConfigErrorKind.InvalidValue)]
    [InlineData("publicPort: 70000", "gateway.publicPort", ConfigErrorKind.InvalidValue)]
    [InlineData("publicHost: 'https://gw.example.com:5432'", "gateway.publicHost", ConfigErrorKind.InvalidValue)]
    [InlineData("tls: { key: gw.key }", "gateway.tls.certificate", ConfigErrorKind.MissingValue)]
    [InlineData("allowLoopbackPlaintext: yes please", "gateway.allowLoopbackPlaintext", ConfigErrorKind.InvalidValue)]
    [InlineData("tls: { cert: gw.crt }", "gateway.tls.cert", ConfigErrorKind.UnknownKey)]
    public void Load_BadGatewayValue_IsReported(string entry, string path, ConfigErrorKind kind)
    {
        var yaml = PolicyText.Base + $"\ngateway:\n  {entry}\n";

        var error = PolicyText.SingleError(PolicyText.Load(yaml), kind);

        Assert.Equal(path, error.Path);
    }
}
