using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Appliance.Policy.Configuration;

/// <summary>
/// Reads YAML nodes into values while collecting every error with its position, so one pass
/// reports all problems. Values are substituted from the environment here; messages only
/// ever show the text as written (<see cref="ConfigScalar.Shown"/>).
/// </summary>
internal sealed class ConfigReader(string source, VariableReferences variables, Func<string, string?> environment)
{
    private readonly List<ConfigError> _errors = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    public void Report(YamlNode? at, string path, ConfigErrorKind kind, string message) =>
        _errors.Add(at is null
            ? new ConfigError(source, null, null, path, kind, message)
            : new ConfigError(source, (int)at.Start.Line, (int)at.Start.Column, path, kind, message));

    public void Report(Mark at, ConfigErrorKind kind, string message) =>
        _errors.Add(new ConfigError(source, (int)at.Line, (int)at.Column, "", kind, message));

    /// <summary>The node's text as written (references unexpanded), for messages and paths.</summary>
    public string Show(YamlScalarNode node) => variables.Show(node.Value ?? "");

    /// <summary>An empty value, <c>~</c> or <c>null</c>: the same as leaving the key out.</summary>
    public static bool IsNull(YamlNode? node) =>
        node is null or YamlScalarNode { Style: ScalarStyle.Plain, Value: "" or "~" or "null" or "Null" or "NULL" };

    public ConfigMap? Map(YamlNode? node, string path, IReadOnlyCollection<string> keys)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            Report(node, path, ConfigErrorKind.WrongType,
                $"expected a mapping with keys such as {string.Join(", ", keys)}; found {Describe(node!)}");
            return null;
        }

        return new ConfigMap(this, mapping, path, keys);
    }

    public IReadOnlyList<YamlNode> Sequence(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            Report(node, path, ConfigErrorKind.WrongType, $"expected a list such as [a, b]; found {Describe(node!)}");
            return [];
        }

        return sequence.Children.ToList();
    }

    /// <returns>The substituted value, or <c>null</c> when absent or unusable (already reported).</returns>
    public ConfigScalar? Scalar(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            Report(node, path, ConfigErrorKind.WrongType, $"expected a single value; found {Describe(node!)}");
            return null;
        }

        var raw = scalar.Value ?? "";
        var shown = variables.Show(raw);
        if (VariableReferences.HasMalformedReference(raw))
        {
            Report(node, path, ConfigErrorKind.MalformedVariable,
                $"malformed reference in '{shown}': write ${{NAME}} or ${{NAME:-default}} (NAME of letters, digits and _), or $${{ for a literal ${{");
            return null;
        }

        var value = variables.Substitute(raw, environment, out var missing);
        foreach (var name in missing)
        {
            Report(node, path, ConfigErrorKind.MissingVariable,
                $"environment variable {name} is not set (set it, or give a default: ${{{name}:-default}})");
        }

        return value is null ? null : new ConfigScalar(value, shown, scalar, path);
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ => "a single value",
    };
}

/// <summary>
/// A scalar from the file with <c>${NAME}</c> substituted. <see cref="Shown"/> is the text as
/// written: the only form an error message may print, so an environment value (perhaps a
/// secret) never reaches a log.
/// </summary>
internal sealed record ConfigScalar(string Value, string Shown, YamlScalarNode Node, string Path);
