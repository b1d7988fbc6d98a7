namespace Appliance.Policy.Configuration;

/// <summary><c>masking:</c>.</summary>
internal sealed partial class PolicyReader
{
    private static readonly string[] MaskingKeys = ["name", "detectors", "columns", "patterns"];
    private static readonly string[] PatternKeys = ["name", "regex"];

    private NamedEntries<MaskingProfile> ReadMasking(ConfigMap root)
    {
        var profiles = new NamedEntries<MaskingProfile>(reader, "masking profile");
        foreach (var item in root.Items("masking", "name", MaskingKeys))
        {
            var name = item.Name();
            var detectors = item.Options("detectors", ConfigWords.Detector);
            var columns = Words(item, "columns", "column name", StringComparer.OrdinalIgnoreCase);
            foreach (var column in columns.Where(c => c.Value.Contains('.', StringComparison.Ordinal)))
            {
                // customers.phone was taken for a column of that very name, so it masked nothing (probe AK).
                reader.Report(column.Node, column.Path, ConfigErrorKind.InvalidValue,
                    $"'{column.Shown}': a column rule names a column, not table.column; every result column of that name is masked "
                    + $"('{column.Value[(column.Value.LastIndexOf('.') + 1)..]}')");
            }

            var patterns = new NamedEntries<MaskingPattern>(reader, "pattern");
            foreach (var pattern in item.Items("patterns", "name", PatternKeys))
            {
                var patternName = pattern.Name();
                var regex = pattern.Has("regex") ? ReadRegex(pattern, "regex") : null;
                if (!pattern.Has("regex"))
                {
                    pattern.ReportMissing("regex");
                }

                if (patternName is not null)
                {
                    patterns.Add(patternName, regex is null ? null : new MaskingPattern { Name = patternName.Value, Regex = regex });
                }
            }

            if (!item.Has("detectors") && !item.Has("columns") && !item.Has("patterns"))
            {
                reader.Report(item.Node, item.Path, ConfigErrorKind.MissingValue,
                    "a masking profile needs 'detectors', 'columns' or 'patterns'");
            }

            if (name is not null)
            {
                profiles.Add(name, new MaskingProfile
                {
                    Name = name.Value,
                    Detectors = detectors,
                    Columns = [.. columns.Select(c => c.Value)],
                    Patterns = patterns.Entries,
                });
            }
        }

        return profiles;
    }
}
