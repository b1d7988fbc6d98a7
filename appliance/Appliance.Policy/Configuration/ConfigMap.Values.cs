using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Policy.Configuration;

/// <summary>Typed values: each reports its own error and returns <c>null</c> when unusable.</summary>
internal sealed partial class ConfigMap
{
    public ConfigScalar? Scalar(string key, bool required = false)
    {
        if (!Has(key))
        {
            if (required)
            {
                ReportMissing(key);
            }

            return null;
        }

        return Reader.Scalar(this[key], PathOf(key));
    }

    /// <summary>Text; a required value must also not be blank.</summary>
    public string? Text(string key, bool required = false)
    {
        var scalar = Scalar(key, required);
        if (scalar is not null && required && string.IsNullOrWhiteSpace(scalar.Value))
        {
            Reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.InvalidValue, $"'{key}' must not be empty");
            return null;
        }

        return scalar?.Value;
    }

    /// <summary>A name other entries refer to: letters, digits, <c>.</c>, <c>_</c>, <c>-</c>.</summary>
    public ConfigScalar? Name(string key = "name")
    {
        var scalar = Scalar(key, required: true);
        if (scalar is not null && !NamePattern().IsMatch(scalar.Value))
        {
            Reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.InvalidValue,
                $"'{scalar.Shown}' is not a valid name: use letters, digits, '.', '_' and '-' (at most 63, starting with a letter or digit)");
            return null;
        }

        return scalar;
    }

    public int? Int(string key, int min, int max) => Parse(
        key,
        (string text, out int value) =>
            int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max,
        ConfigErrorKind.InvalidValue,
        shown => $"'{shown}' is not a whole number from {min} to {max}");

    public bool? Bool(string key) =>
        Parse<bool>(key, bool.TryParse, ConfigErrorKind.InvalidValue, shown => $"'{shown}' is not true or false");

    public TimeSpan? Duration(string key) => Parse<TimeSpan>(
        key,
        Configuration.Duration.TryParse,
        ConfigErrorKind.InvalidDuration,
        shown => $"'{shown}' is not a duration: write it like 30s, 15m, 1h, 1h30m or 2d");

    public T? Option<T>(string key, ConfigOptions<T> options, bool required = false)
        where T : struct =>
        Scalar(key, required) is { } scalar && options.TryRead(Reader, scalar, out var value) ? value : null;

    /// <summary>A list of single values; empty entries are reported and skipped.</summary>
    public IReadOnlyList<ConfigScalar> List(string key)
    {
        var result = new List<ConfigScalar>();
        var items = Reader.Sequence(this[key], PathOf(key));
        for (var i = 0; i < items.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{PathOf(key)}[{i}]");
            if (ConfigReader.IsNull(items[i]))
            {
                Reader.Report(items[i], path, ConfigErrorKind.MissingValue, "empty list entry");
            }
            else if (Reader.Scalar(items[i], path) is { } scalar)
            {
                result.Add(scalar);
            }
        }

        return result;
    }

    /// <summary>A list of values from a fixed set, without repeats.</summary>
    public IReadOnlyList<T> Options<T>(string key, ConfigOptions<T> options)
        where T : notnull
    {
        var result = new List<T>();
        foreach (var scalar in List(key))
        {
            if (options.TryRead(Reader, scalar, out var value) && !result.Contains(value))
            {
                result.Add(value);
            }
        }

        return result;
    }

    private T? Parse<T>(string key, TryParser<T> parse, ConfigErrorKind kind, Func<string, string> message)
        where T : struct
    {
        var scalar = Scalar(key);
        if (scalar is null)
        {
            return null;
        }

        if (!parse(scalar.Value, out var value))
        {
            Reader.Report(scalar.Node, scalar.Path, kind, message(scalar.Shown));
            return null;
        }

        return value;
    }

    private delegate bool TryParser<T>(string text, out T value);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
