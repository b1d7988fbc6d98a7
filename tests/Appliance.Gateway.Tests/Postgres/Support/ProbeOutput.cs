using System.Text;

namespace Appliance.Gateway.Tests.Postgres.Support;

/// <summary>
/// What a client probe printed: one fact a line, <c>kind|field|field…</c>, with <c>\\</c>, <c>\|</c>
/// and <c>\n</c> inside a field, NULL as <c>&lt;null&gt;</c>. Failed assertions show the whole process result.
/// </summary>
internal sealed class ProbeOutput(ProcessResult process)
{
    public const string Null = "<null>";

    private readonly string[][] _lines = [.. process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Fields)];

    public ProcessResult Process => process;

    /// <summary>The fields after the kind, of every line of <paramref name="kind"/>, in order.</summary>
    public IReadOnlyList<string[]> All(string kind) => [.. _lines.Where(fields => fields[0] == kind).Select(fields => fields[1..])];

    public string[] Single(string kind)
    {
        var lines = All(kind);
        Assert.True(lines.Count == 1, $"expected one \"{kind}\" line, got {lines.Count}\n{process}");
        return lines[0];
    }

    public void AssertSucceeded() => Assert.True(process.ExitCode == 0, process.ToString());

    /// <summary>The login was refused as one without a grant for the demo connection: 28000 with how to ask for one.</summary>
    public void AssertRefusedForWantOfAGrant()
    {
        Assert.True(process.ExitCode == 3, process.ToString());
        var error = Single("error");
        Assert.Equal("28000", error[0]);
        Assert.Contains("has no active grant for \"demo\"", error[1], StringComparison.Ordinal);
        Assert.Contains("/hoop request demo", error[1], StringComparison.Ordinal);
    }

    public override string ToString() => process.ToString();

    private static string[] Fields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            switch (line[i])
            {
                case '\\' when i + 1 < line.Length:
                    i++;
                    field.Append(line[i] == 'n' ? '\n' : line[i]);
                    break;
                case '|':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                default:
                    field.Append(line[i]);
                    break;
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
    }
}
