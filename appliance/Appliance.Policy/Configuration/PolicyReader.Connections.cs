namespace Appliance.Policy.Configuration;

/// <summary><c>connections:</c>: upstream, references to guardrails and masking profiles.</summary>
internal sealed partial class PolicyReader
{
    private static readonly string[] ConnectionKeys = ["name", "type", "upstream", "access", "guardrails", "masking", "audit"];
    private static readonly string[] UpstreamKeys = ["host", "port", "database", "user", "password", "tls", "allowSuperuser"];
    private static readonly UpstreamPolicy UpstreamDefaults = new() { Host = "", Database = "", User = "" };

    private List<ConnectionPolicy> ReadConnections(
        ConfigMap root, GroupCatalog groups, NamedEntries<GuardrailRule> guardrails, NamedEntries<MaskingProfile> masking)
    {
        var connections = new NamedEntries<ConnectionPolicy>(reader, "connection");
        foreach (var item in root.Items("connections", "name", ConnectionKeys))
        {
            var name = item.Name();
            var type = item.Scalar("type") is { } t && ConfigWords.ConnectionType.TryRead(reader, t, out var word) ? word : null;
            var upstream = item.Map("upstream", UpstreamKeys, required: true) is { } u ? ReadUpstream(u) : null;
            var access = item.Map("access", AccessKeys, required: true) is { } a ? ReadAccess(a, groups) : null;
            var rules = Resolve(item, "guardrails", guardrails, ConfigErrorKind.UnknownGuardrail);
            var profiles = Resolve(item, "masking", masking, ConfigErrorKind.UnknownMasking);
            var audit = item.Option("audit", ConfigWords.Audit);
            if (name is null)
            {
                continue;
            }

            var connection = upstream is null || access is null ? null : new ConnectionPolicy
            {
                Name = name.Value,
                Type = type ?? "postgres",
                Upstream = upstream,
                Access = access,
                Guardrails = rules,
                Masking = profiles,
            };
            connections.Add(name, audit is { } mode && connection is not null ? connection with { Audit = mode } : connection);
        }

        return [.. connections.Entries];
    }

    private static UpstreamPolicy? ReadUpstream(ConfigMap upstream)
    {
        var host = upstream.Text("host", required: true);
        var port = upstream.Int("port", 1, 65535);
        var database = upstream.Text("database", required: true);
        var user = upstream.Text("user", required: true);
        var password = upstream.Text("password");
        var tls = upstream.Option("tls", ConfigWords.Tls);
        var allowSuperuser = upstream.Bool("allowSuperuser");
        if (host is null || database is null || user is null)
        {
            return null;
        }

        return new UpstreamPolicy
        {
            Host = host.Trim(),
            Port = port ?? UpstreamDefaults.Port,
            Database = database,
            User = user,
            Password = password ?? UpstreamDefaults.Password,
            Tls = tls ?? UpstreamDefaults.Tls,
            AllowSuperuser = allowSuperuser ?? false,
        };
    }

    /// <summary>Names of entries defined elsewhere in the file, resolved to those entries.</summary>
    private List<T> Resolve<T>(ConfigMap item, string key, NamedEntries<T> defined, ConfigErrorKind unknown)
        where T : class
    {
        var resolved = new List<T>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in item.List(key))
        {
            if (!seen.Add(reference.Value))
            {
                reader.Report(reference.Node, reference.Path, ConfigErrorKind.Duplicate, $"'{reference.Shown}' is listed twice");
            }
            else if (!defined.TryGet(reference.Value, out var entry))
            {
                reader.Report(reference.Node, reference.Path, unknown,
                    $"unknown {defined.What} '{reference.Shown}' ({defined.Defined})");
            }
            else if (entry is not null)
            {
                resolved.Add(entry);
            }
        }

        return resolved;
    }
}
