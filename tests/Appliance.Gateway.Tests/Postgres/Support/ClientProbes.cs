using System.Globalization;
using Appliance.Gateway.Tests.Install;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres.Support;

/// <summary>
/// pgjdbc (DBeaver's driver) and node-postgres as processes through the gateway: the probes in
/// Postgres/Clients, each run for one scenario with the fixture's TLS mode. scripts/test.sh
/// installs what they need (scripts/setup-tools.sh --test-clients); without it they fail, saying so.
/// </summary>
internal static class ClientProbes
{
    public const string Java = "/usr/bin/java";
    public const string Javac = "/usr/bin/javac";
    public const string PgJdbcJar = "/usr/share/java/postgresql.jar";
    public const string Node = "/usr/bin/node";

    private static readonly string Clients = Repository.PathOf("tests", "Appliance.Gateway.Tests", "Postgres", "Clients");

    /// <summary>Clients/jdbc/GatewayProbe.java, launched from source (which takes a JDK's compiler).</summary>
    public static Task<ProbeOutput> JdbcAsync(this PgGatewayFixture fixture, string scenario, string? table = null, string? password = null, string user = Alice)
    {
        Require(Java, "Java");
        Require(Javac, "A JDK (the probe is launched from source)");
        Require(PgJdbcJar, "pgjdbc (Debian's libpostgresql-jdbc-java)");
        // A short-lived JVM: no optimising compiler, no parallel collector on the shared cores.
        return RunAsync(fixture, Java, ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", PgJdbcJar, Path.Combine(Clients, "jdbc", "GatewayProbe.java")], scenario, table, password, user);
    }

    /// <summary>Clients/node/probe.js with the node-postgres its package-lock.json pins.</summary>
    public static Task<ProbeOutput> NodeAsync(this PgGatewayFixture fixture, string scenario, string? table = null, string? password = null, string user = Alice)
    {
        Require(Node, "Node.js");
        Require(Path.Combine(Clients, "node", "node_modules", "pg", "package.json"), "node-postgres (npm ci in Postgres/Clients/node)");
        return RunAsync(fixture, Node, [Path.Combine(Clients, "node", "probe.js")], scenario, table, password, user);
    }

    /// <summary>A table of customers with values the fixture's policy masks, that only the calling test uses.</summary>
    public static async Task<string> CustomersAsync(this PgGatewayFixture fixture)
    {
        var table = PgGatewayFixture.TableName("cust");
        await fixture.UpstreamAsync($"""
            CREATE TABLE {table} (id int PRIMARY KEY, email varchar(100), card text, ssn text, card_number bigint, amount numeric, born date, note text);
            INSERT INTO {table} VALUES
              (1, 'ann@example.com', '4111 1111 1111 1111', '123-45-6789', 4111111111111111, 12.50, '1990-02-03', 'plain words'),
              (2, 'bob@example.com', 'none', NULL, 42, 7, '1985-11-30', 'second');
            """);
        return table;
    }

    /// <summary>The rows of <see cref="CustomersAsync"/> (all columns, by id) as the demo connection's policy masks them.</summary>
    public static void AssertMaskedCustomers(IReadOnlyList<string[]> rows)
    {
        Assert.Equal(2, rows.Count);
        Assert.Equal(["1", "a***@example.com"], rows[0][..2]);
        Assert.NotEqual("4111 1111 1111 1111", rows[0][2]);
        Assert.EndsWith("1111", rows[0][2], StringComparison.Ordinal);
        // The ssn column is masked whole; a card number stored as a number becomes NULL.
        Assert.Equal(["****", ProbeOutput.Null, "12.50", "1990-02-03", "plain words"], rows[0][3..]);
        Assert.Equal(["2", "b***@example.com", "none", ProbeOutput.Null, "42", "7", "1985-11-30", "second"], rows[1]);
    }

    /// <summary>
    /// In the plaintext fixture the probe's "upstream-tls" line says the upstream leg is
    /// plaintext too: what puts a session on an event loop.
    /// </summary>
    public static void AssertOnEventLoopWhenPlaintext(this PgGatewayFixture fixture, ProbeOutput output)
    {
        var upstreamTls = output.Single("upstream-tls");
        if (!fixture.Tls)
        {
            Assert.Equal(["false"], upstreamTls);
        }
    }

    private static async Task<ProbeOutput> RunAsync(PgGatewayFixture fixture, string program, string[] launch, string scenario, string? table, string? password, string user)
    {
        string[] arguments = [.. launch, scenario, fixture.Port.ToString(CultureInfo.InvariantCulture), user, "demo", fixture.Tls ? "require" : "disable", .. table is null ? [] : new[] { table }];
        var result = await ProcessRunner.RunAsync(program, arguments, new Dictionary<string, string> { ["PROBE_PASSWORD"] = password ?? fixture.AliceToken });
        return new ProbeOutput(result);
    }

    private static void Require(string path, string what)
    {
        if (!File.Exists(path))
        {
            Assert.Fail($"{what} is not installed: {path} is missing. scripts/setup-tools.sh --test-clients installs it (scripts/test.sh runs it).");
        }
    }
}
