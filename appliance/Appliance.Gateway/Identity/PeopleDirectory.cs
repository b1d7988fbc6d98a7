using Appliance.Gateway.Configuration;
using Appliance.Gateway.Store;
using Appliance.Policy.Configuration;
using Dapper;

namespace Appliance.Gateway.Identity;

/// <summary>
/// Resolves an email to a <see cref="Person"/>: the policy's <c>users:</c> first, then people the
/// IdP has vouched for (their groups as of their last sign-in). Roles come from a user's
/// <c>roles:</c> and from <c>identity.roles</c> groups.
/// </summary>
internal sealed class PeopleDirectory(IPolicyProvider policy, StoreDatabase database, TimeProvider time)
{
    public async Task<Person?> FindAsync(string email, CancellationToken cancellationToken = default)
    {
        var current = policy.Current;
        if (current.FindUser(email) is { } user)
        {
            return Build(current, user.Email, user.Groups, user.Roles);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var groups = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT groups FROM idp_users WHERE email = @email", new { email = email.ToLowerInvariant() });
        return groups is null ? null : Build(current, email.ToLowerInvariant(), StoreJson.Deserialize<string[]>(groups) ?? [], []);
    }

    /// <summary>A person signed in through the IdP: config groups merged with the IdP's.</summary>
    public Person FromIdp(string email, IEnumerable<string> idpGroups)
    {
        var current = policy.Current;
        var user = current.FindUser(email);
        var groups = idpGroups.Concat(user?.Groups ?? []);
        return Build(current, user?.Email ?? email.ToLowerInvariant(), groups, user?.Roles ?? []);
    }

    /// <summary>Remembers an IdP user's groups so the chatops service can act for them later.</summary>
    public async Task RememberIdpUserAsync(string email, IReadOnlyCollection<string> groups, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO idp_users (email, groups, last_seen) VALUES (@email, @groups, @now) " +
            "ON CONFLICT (email) DO UPDATE SET groups = excluded.groups, last_seen = excluded.last_seen",
            new { email = email.ToLowerInvariant(), groups = StoreJson.Serialize(groups), now = time.GetUtcNow().ToUnixMs() });
    }

    private static Person Build(AppliancePolicy policy, string email, IEnumerable<string> groups, IEnumerable<string> roles)
    {
        var groupSet = new HashSet<string>(groups, StringComparer.Ordinal);
        var roleSet = new HashSet<string>(roles, StringComparer.OrdinalIgnoreCase);
        var isAdmin = roleSet.Contains("admin") || policy.Identity.AdminGroups.Any(groupSet.Contains);
        var isAuditor = roleSet.Contains("auditor") || policy.Identity.AuditorGroups.Any(groupSet.Contains);
        return new Person(email, groupSet, isAdmin, isAuditor);
    }
}
