namespace Appliance.Policy.Configuration;

/// <summary>
/// The groups a policy knows: those its users have, those declared under <c>groups:</c> (they
/// exist only in the identity provider) and those named by identity roles. Only the first kind
/// has members this file can count.
/// </summary>
internal sealed class GroupCatalog
{
    private readonly Dictionary<string, HashSet<string>> _members = new(StringComparer.Ordinal);
    private readonly HashSet<string> _external = new(StringComparer.Ordinal);

    public GroupCatalog(IEnumerable<UserPolicy> users, IEnumerable<string> declared, IdentityPolicy identity)
    {
        foreach (var user in users)
        {
            foreach (var group in user.Groups)
            {
                if (!_members.TryGetValue(group, out var members))
                {
                    _members[group] = members = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                }

                members.Add(user.Email);
            }
        }

        _external.UnionWith(declared);
        _external.UnionWith(identity.AdminGroups);
        _external.UnionWith(identity.AuditorGroups);
    }

    public bool IsKnown(string group) => _members.ContainsKey(group) || _external.Contains(group);

    public string Known
    {
        get
        {
            var all = _members.Keys.Union(_external).Order(StringComparer.Ordinal).ToList();
            return all.Count == 0
                ? "no groups are known: give users groups, or declare identity-provider groups under 'groups:'"
                : $"known groups: {string.Join(", ", all)}";
        }
    }

    /// <summary>
    /// The distinct people in these groups, or <c>null</c> when one of them gets members from the
    /// identity provider and so cannot be counted here.
    /// </summary>
    public IReadOnlyCollection<string>? MembersOf(IEnumerable<string> groups)
    {
        var people = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in groups)
        {
            if (_external.Contains(group))
            {
                return null;
            }

            if (_members.TryGetValue(group, out var members))
            {
                people.UnionWith(members);
            }
        }

        return people;
    }
}
