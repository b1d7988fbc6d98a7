namespace Appliance.Policy.Configuration;

/// <summary>
/// Named entries (users, connections, guardrails, masking profiles, patterns) in file order, with
/// duplicates reported. A name whose entry had errors is still registered, so references to it
/// are not reported a second time as unknown.
/// </summary>
internal sealed class NamedEntries<T>(ConfigReader reader, string what)
    where T : class
{
    private readonly Dictionary<string, (ConfigScalar Name, T? Entry)> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<T> _entries = [];

    public IReadOnlyList<T> Entries => _entries;

    public string What => what;

    /// <summary>Names are unique without regard to case: <c>DB-prod</c> and <c>db-prod</c> would confuse people.</summary>
    public void Add(ConfigScalar name, T? entry)
    {
        if (_byName.TryGetValue(name.Value, out var first))
        {
            reader.Report(name.Node, name.Path, ConfigErrorKind.Duplicate,
                $"duplicate {what} '{name.Shown}' (first defined on line {first.Name.Node.Start.Line})");
            return;
        }

        _byName.Add(name.Value, (name, entry));
        if (entry is not null)
        {
            _entries.Add(entry);
        }
    }

    /// <summary>References match exactly; a near miss is reported with the defined names.</summary>
    public bool TryGet(string name, out T? entry)
    {
        if (_byName.TryGetValue(name, out var found) && string.Equals(found.Name.Value, name, StringComparison.Ordinal))
        {
            entry = found.Entry;
            return true;
        }

        entry = null;
        return false;
    }

    public string Defined =>
        _byName.Count == 0
            ? $"no {what}s are defined"
            : $"defined: {string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal))}";
}
