using System.Text.RegularExpressions;

namespace Appliance.Policy.Configuration;

/// <summary><c>users:</c>, <c>groups:</c> and <c>identity:</c>.</summary>
internal sealed partial class PolicyReader
{
    private static readonly string[] UserKeys = ["email", "groups", "roles"];
    private static readonly string[] IdentityKeys = ["oidc", "roles"];
    private static readonly string[] OidcKeys = ["authority", "audience", "groupsClaim", "emailClaim", "requireHttpsMetadata"];
    private static readonly string[] RoleKeys = ["admin", "auditor"];
    private static readonly OidcPolicy OidcDefaults = new() { Authority = "", Audience = "" };

    private IReadOnlyList<UserPolicy> ReadUsers(ConfigMap root)
    {
        var users = new NamedEntries<UserPolicy>(reader, "user");
        foreach (var item in root.Items("users", "email", UserKeys))
        {
            var email = item.Scalar("email", required: true);
            var groups = GroupNames(item, "groups");
            var roles = item.Options("roles", ConfigWords.Role);
            if (email is null)
            {
                continue;
            }

            // A bad address is still registered: its groups stay known, so one mistake is one error.
            if (!EmailPattern().IsMatch(email.Value))
            {
                reader.Report(email.Node, email.Path, ConfigErrorKind.InvalidValue, $"'{email.Shown}' is not an email address");
            }

            users.Add(email, new UserPolicy { Email = email.Value.Trim(), Groups = [.. groups.Select(g => g.Value)], Roles = roles });
        }

        return users.Entries;
    }

    /// <summary>Groups that only the identity provider fills: known, but with no members to count here.</summary>
    private static List<string> ReadDeclaredGroups(ConfigMap root) =>
        [.. GroupNames(root, "groups", repeatIsError: true).Select(g => g.Value)];

    private IdentityPolicy ReadIdentity(ConfigMap root)
    {
        if (root.Map("identity", IdentityKeys) is not { } identity)
        {
            return new IdentityPolicy();
        }

        var roles = identity.Map("roles", RoleKeys);
        return new IdentityPolicy
        {
            Oidc = identity.Map("oidc", OidcKeys) is { } oidc ? ReadOidc(oidc) : null,
            AdminGroups = roles is null ? [] : [.. GroupNames(roles, "admin").Select(g => g.Value)],
            AuditorGroups = roles is null ? [] : [.. GroupNames(roles, "auditor").Select(g => g.Value)],
        };
    }

    private static OidcPolicy? ReadOidc(ConfigMap oidc)
    {
        var authority = oidc.Scalar("authority", required: true);
        var audience = oidc.Text("audience", required: true);
        var requireHttps = oidc.Bool("requireHttpsMetadata") ?? OidcDefaults.RequireHttpsMetadata;
        var groupsClaim = oidc.Text("groupsClaim");
        var emailClaim = oidc.Text("emailClaim");
        if (authority is null || audience is null)
        {
            return null;
        }

        var allowed = requireHttps ? "https" : "http(s)";
        if (!Uri.TryCreate(authority.Value, UriKind.Absolute, out var url)
            || !(url.Scheme == Uri.UriSchemeHttps || (!requireHttps && url.Scheme == Uri.UriSchemeHttp)))
        {
            oidc.Reader.Report(authority.Node, authority.Path, ConfigErrorKind.InvalidValue,
                $"'{authority.Shown}' is not an absolute {allowed} URL (an http issuer needs requireHttpsMetadata: false)");
            return null;
        }

        return new OidcPolicy
        {
            Authority = authority.Value,
            Audience = audience,
            GroupsClaim = string.IsNullOrWhiteSpace(groupsClaim) ? OidcDefaults.GroupsClaim : groupsClaim,
            EmailClaim = string.IsNullOrWhiteSpace(emailClaim) ? OidcDefaults.EmailClaim : emailClaim,
            RequireHttpsMetadata = requireHttps,
        };
    }

    [GeneratedRegex(@"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}
