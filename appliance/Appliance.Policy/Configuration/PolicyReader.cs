using YamlDotNet.RepresentationModel;

namespace Appliance.Policy.Configuration;

/// <summary>
/// Turns the YAML document into an <see cref="AppliancePolicy"/> (product.md §3), reporting every
/// error. Sections are read in dependency order (whatever their order in the file) so
/// references can be checked where they are written.
/// </summary>
internal sealed partial class PolicyReader(ConfigReader reader)
{
    private static readonly string[] Keys =
        ["users", "groups", "identity", "connections", "guardrails", "masking", "webhooks", "gateway", "pendingTimeout"];

    public AppliancePolicy? Read(YamlNode root)
    {
        if (ConfigReader.IsNull(root))
        {
            reader.Report(root, "", ConfigErrorKind.Empty, "the policy is empty: it needs at least users and connections");
            return null;
        }

        if (reader.Map(root, "", Keys) is not { } map)
        {
            return null;
        }

        var users = ReadUsers(map);
        var declaredGroups = ReadDeclaredGroups(map);
        var identity = ReadIdentity(map);
        var groups = new GroupCatalog(users, declaredGroups, identity);
        var guardrails = ReadGuardrails(map);
        var masking = ReadMasking(map);
        var connections = ReadConnections(map, groups, guardrails, masking);
        var webhooks = ReadWebhooks(map);
        var gateway = ReadGateway(map);
        var pendingTimeout = map.Duration("pendingTimeout");

        if (reader.Errors.Count > 0)
        {
            return null;
        }

        var policy = new AppliancePolicy
        {
            Users = users,
            Groups = declaredGroups,
            Connections = connections,
            Guardrails = guardrails.Entries,
            Masking = masking.Entries,
            Webhooks = webhooks,
            Identity = identity,
            Gateway = gateway,
        };

        // Optional values keep the record's own defaults, so those are written in one place.
        return pendingTimeout is { } timeout ? policy with { PendingTimeout = timeout } : policy;
    }

    /// <summary>
    /// The non-empty values of a list, trimmed, each once. A repeat is dropped, or reported
    /// when <paramref name="repeatIsError"/> (where it is more likely a mistake than emphasis).
    /// </summary>
    private static List<ConfigScalar> Words(
        ConfigMap map, string key, string what, StringComparer comparer, bool repeatIsError = false)
    {
        var words = new List<ConfigScalar>();
        foreach (var scalar in map.List(key))
        {
            var word = scalar.Value.Trim();
            if (word.Length == 0)
            {
                map.Reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.InvalidValue, $"a {what} must not be empty");
            }
            else if (words.Exists(w => comparer.Equals(w.Value, word)))
            {
                if (repeatIsError)
                {
                    map.Reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.Duplicate, $"'{scalar.Shown}' is listed twice");
                }
            }
            else
            {
                words.Add(scalar with { Value = word });
            }
        }

        return words;
    }

    private static List<ConfigScalar> GroupNames(ConfigMap map, string key, bool repeatIsError = false) =>
        Words(map, key, "group name", StringComparer.Ordinal, repeatIsError);
}
