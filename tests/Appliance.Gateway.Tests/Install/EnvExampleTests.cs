using System.Text.RegularExpressions;

namespace Appliance.Gateway.Tests.Install;

/// <summary>
/// .env.example is the one list of settings: scripts/install.sh turns it into .env and compose
/// reads .env. A variable a service reads but the file does not document, or a secret the
/// installer would not generate, is a broken install.
/// </summary>
public sealed partial class EnvExampleTests
{
    [Fact]
    public void EnvExample_DocumentsEveryVariableTheServicesAndThePolicyRead()
    {
        var documented = Documented();

        var read = SourceFiles("appliance").Concat(SourceFiles("chatops"))
            .SelectMany(file => VariableLiteral().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value))
            .Concat(PolicyReference().Matches(WithoutComments(Repository.PathOf("config", "appliance.yaml"))).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.Contains("APPLIANCE_ADMIN_TOKEN", read);
        Assert.Contains("SLACK_BOT_TOKEN", read);
        Assert.Contains("DEMO_DB_PASSWORD", read);
        Assert.Empty(read.Where(name => !documented.ContainsKey(name)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Compose_UsesOnlyVariablesDocumentedInEnvExample()
    {
        var documented = Documented();

        var used = ComposeReference().Matches(WithoutComments(Repository.PathOf("compose", "docker-compose.yml")))
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

        Assert.Contains("STORE_DB_PASSWORD", used);
        Assert.Empty(used.Where(name => !documented.ContainsKey(name)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EnvExample_EveryVariable_IsExplainedByTheCommentAboveIt()
    {
        var lines = File.ReadAllLines(Repository.PathOf(".env.example"));

        for (var i = 0; i < lines.Length; i++)
        {
            if (!Assignment().IsMatch(lines[i]))
            {
                continue;
            }

            // A group of related variables may share the comment above the group.
            var above = i - 1;
            while (above >= 0 && Assignment().IsMatch(lines[above]))
            {
                above--;
            }

            Assert.True(above >= 0 && lines[above].StartsWith('#'), $".env.example line {i + 1} ({lines[i]}) has no comment above it");
        }
    }

    [Fact]
    public void EnvExample_GeneratedSecrets_ArePlaceholdersTheInstallerReplaces()
    {
        var documented = Documented();

        var secrets = documented.Keys
            .Where(name => name.EndsWith("_PASSWORD", StringComparison.Ordinal) || name.StartsWith("APPLIANCE_", StringComparison.Ordinal) && name.EndsWith("_TOKEN", StringComparison.Ordinal))
            .ToList();

        Assert.Contains("APPLIANCE_CHATOPS_TOKEN", secrets);
        Assert.Contains("STORE_DB_PASSWORD", secrets);
        Assert.All(secrets, name => Assert.Equal("change-me", documented[name]));
        Assert.Contains("=change-me$", File.ReadAllText(Repository.PathOf("scripts", "install.sh")), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Documented() =>
        File.ReadAllLines(Repository.PathOf(".env.example"))
            .Select(line => Assignment().Match(line))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Repository.PathOf(folder), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>A YAML file's text without its comments, which explain <c>${NAME}</c> without using it.</summary>
    private static string WithoutComments(string file) =>
        string.Join('\n', File.ReadAllLines(file).Select(line => YamlComment().Replace(line, "")));

    [GeneratedRegex(@"(^|\s)#.*$")]
    private static partial Regex YamlComment();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")]
    private static partial Regex Assignment();

    /// <summary>A string literal that is exactly an environment variable name of ours.</summary>
    [GeneratedRegex(@"""((?:APPLIANCE|CHATOPS|SLACK|SEQ|DEMO_DB)_[A-Z0-9_]+)""")]
    private static partial Regex VariableLiteral();

    [GeneratedRegex(@"\$\{([A-Z_][A-Z0-9_]*)")]
    private static partial Regex PolicyReference();

    /// <summary><c>${NAME}</c>, <c>${NAME:-default}</c>, <c>${NAME:?message}</c>; <c>$$</c> escapes a dollar.</summary>
    [GeneratedRegex(@"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ComposeReference();
}
