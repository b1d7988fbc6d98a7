using YamlDotNet.RepresentationModel;

namespace Appliance.Policy.Configuration;

/// <summary>
/// One YAML mapping of the policy with the keys it may hold. Unknown keys are reported when it
/// is opened: a typo such as <c>minAproval</c> must never be silently ignored.
/// </summary>
internal sealed partial class ConfigMap
{
    private readonly Dictionary<string, YamlNode> _values = new(StringComparer.Ordinal);

    public ConfigMap(ConfigReader reader, YamlMappingNode node, string path, IReadOnlyCollection<string> keys)
    {
        Reader = reader;
        Node = node;
        Path = path;
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode scalarKey)
            {
                reader.Report(key, path, ConfigErrorKind.WrongType, "a key must be a plain name");
                continue;
            }

            var name = reader.Show(scalarKey);
            if (!keys.Contains(name))
            {
                reader.Report(key, PathOf(name), ConfigErrorKind.UnknownKey, UnknownKey(name, keys));
                continue;
            }

            _values[name] = value;
        }
    }

    public ConfigReader Reader { get; }

    public YamlMappingNode Node { get; }

    public string Path { get; }

    public YamlNode? this[string key] => _values.GetValueOrDefault(key);

    public bool Has(string key) => !ConfigReader.IsNull(this[key]);

    public string PathOf(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public void Report(string key, ConfigErrorKind kind, string message) =>
        Reader.Report(this[key] ?? Node, PathOf(key), kind, message);

    /// <summary>A required key's absence is reported at the mapping that lacks it.</summary>
    public void ReportMissing(string key) =>
        Reader.Report(Node, PathOf(key), ConfigErrorKind.MissingValue, $"'{key}' is required");

    public ConfigMap? Map(string key, IReadOnlyCollection<string> keys, bool required = false)
    {
        if (required && !Has(key))
        {
            ReportMissing(key);
            return null;
        }

        return Reader.Map(this[key], PathOf(key), keys);
    }

    /// <summary>
    /// A list of mappings. Each item's path names it by <paramref name="nameKey"/> when it has
    /// one (<c>connections[db-prod]</c>), by index otherwise (<c>webhooks[0]</c>).
    /// </summary>
    public IEnumerable<ConfigMap> Items(string key, string? nameKey, IReadOnlyCollection<string> keys)
    {
        var items = Reader.Sequence(this[key], PathOf(key));
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var path = $"{PathOf(key)}[{Label(item, nameKey, i)}]";
            if (ConfigReader.IsNull(item))
            {
                Reader.Report(item, path, ConfigErrorKind.MissingValue, "empty list entry");
                continue;
            }

            if (Reader.Map(item, path, keys) is { } map)
            {
                yield return map;
            }
        }
    }

    private string Label(YamlNode item, string? nameKey, int index) =>
        nameKey is not null
        && item is YamlMappingNode mapping
        && mapping.Children.TryGetValue(new YamlScalarNode(nameKey), out var name)
        && name is YamlScalarNode { Value.Length: > 0 } scalar
            ? Reader.Show(scalar)
            : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string UnknownKey(string name, IReadOnlyCollection<string> keys) =>
        Suggestions.Closest(name, keys) is { } guess
            ? $"unknown key '{name}' (did you mean '{guess}'?)"
            : $"unknown key '{name}' (allowed here: {string.Join(", ", keys)})";
}
