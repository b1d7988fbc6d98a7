using System.Runtime.CompilerServices;
using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

/// <summary>The config we ship must load: the demo and every example.</summary>
public sealed class ShippedConfigTests
{
    /// <summary>What the examples read from the environment; secrets are test values.</summary>
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["DEMO_DB_PASSWORD"] = "demo-password",
        ["APP_DB_PASSWORD"] = "app-password",
        ["DB_PROD_HOST"] = "10.0.0.5",
        ["DB_PROD_PASSWORD"] = "prod-password",
        ["DB_STAGING_HOST"] = "10.0.1.5",
        ["DB_STAGING_PASSWORD"] = "staging-password",
        ["SIEM_WEBHOOK_URL"] = "https://siem.example.com/ingest",
        ["SIEM_WEBHOOK_SECRET"] = "siem-secret",
        ["WEBHOOK_SECRET"] = "hook-secret",
    };

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "config", "examples"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void DemoConfig_Loads_WithTheDemoDatabaseDefaults()
    {
        var policy = Load(Path.Combine("config", "appliance.yaml"));

        var demo = Assert.Single(policy.Connections);
        Assert.Equal("demo", demo.Name);
        Assert.Equal(("127.0.0.1", 5433, "demo", "demo_reader", "demo-password"),
            (demo.Upstream.Host, demo.Upstream.Port, demo.Upstream.Database, demo.Upstream.User, demo.Upstream.Password));
        Assert.Equal(["engineering"], demo.Access.Requesters);
        Assert.Equal(["dba"], demo.Access.Approvers);
        Assert.Equal(ReasonRequirement.Required, demo.Access.Reason);
        Assert.Equal("db-access", demo.Access.Channel);
        Assert.Equal(
            [GuardrailAction.Block, GuardrailAction.Review, GuardrailAction.Block, GuardrailAction.Alert],
            demo.Guardrails.Select(g => g.Action));
        Assert.Equal(["ssn", "card_number"], Assert.Single(demo.Masking).Columns);
        Assert.Contains(policy.Users, u => u.Email == "alice@example.com" && u.Groups.Contains("engineering"));
        Assert.Contains(policy.Users, u => u.Email == "bob@example.com" && u.Groups.Contains("dba"));
        Assert.Contains(policy.Users, u => u.Roles.Contains("admin"));
    }

    /// <summary>The demo's alert on bulk exports is told of exports, not of imports (probe DA10: \copy … FROM raised "a bulk export ran").</summary>
    [Theory]
    [InlineData("COPY orders TO STDOUT WITH (FORMAT csv)", true)]
    [InlineData("COPY (SELECT * FROM customers) TO STDOUT", true)]
    [InlineData("COPY orders FROM STDIN WITH (FORMAT csv)", false)]
    [InlineData("SELECT * FROM orders", false)]
    public void DemoConfig_AlertsOnExports_NotImports(string sql, bool alerted)
    {
        var demo = Assert.Single(Load(Path.Combine("config", "appliance.yaml")).Connections);
        var engine = Appliance.Policy.Guardrails.GuardrailEngine.Compile(demo.Guardrails);

        var verdict = engine.Evaluate(sql, new Appliance.Policy.Sql.SqlSession());

        Assert.Equal(alerted, verdict.Matches.Any(m => m.RuleName == "bulk-export"));
    }

    [Fact]
    public void DemoConfig_WithoutThePassword_NamesTheVariable()
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot(), "config", "appliance.yaml"));

        var result = PolicyLoader.Load(text, "config/appliance.yaml", _ => null);

        var error = Assert.Single(result.Errors);
        Assert.Equal(ConfigErrorKind.MissingVariable, error.Kind);
        Assert.Contains("DEMO_DB_PASSWORD", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_Loads(string file)
    {
        var policy = Load(Path.Combine("config", "examples", file));

        Assert.NotEmpty(policy.Connections);
    }

    [Fact]
    public void ProductionExample_UsesWhatItSaysItShows()
    {
        var policy = Load(Path.Combine("config", "examples", "production.yaml"));

        var prod = policy.FindConnection("db-prod")!;
        Assert.NotNull(policy.Identity.Oidc);
        Assert.Equal(2, prod.Access.MinApprovals);
        Assert.Equal(["oncall"], prod.Access.AutoApprove);
        Assert.Equal(AuditMode.Strict, prod.Audit);
        Assert.Equal(UpstreamTls.VerifyFull, prod.Upstream.Tls);
        Assert.NotNull(policy.Gateway.TlsCertificatePath);
        Assert.Equal(2, policy.Webhooks.Count);
    }

    private static AppliancePolicy Load(string relativePath)
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot(), relativePath));
        var result = PolicyLoader.Load(text, relativePath, name => Environment.GetValueOrDefault(name));
        Assert.True(result.IsValid, result.Describe(relativePath));
        return result.Policy;
    }

    /// <summary>
    /// The folder holding Appliance.sln: above the test binaries, or (when they are built
    /// elsewhere with --artifacts-path) above this source file.
    /// </summary>
    private static string RepoRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No Appliance.sln above {AppContext.BaseDirectory} or {sourceFile}");
    }
}
