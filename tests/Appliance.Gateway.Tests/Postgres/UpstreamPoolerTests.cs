using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using Npgsql;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// The gateway in front of pgbouncer, a real pooler: it logs in without the startup setting the
/// pooler refuses (client_connection_check_interval: pgbouncer answers 08P01 "unsupported
/// startup parameter"), where every login failed.
/// </summary>
public sealed class UpstreamPoolerTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    [Fact]
    public async Task AnUpstreamBehindPgbouncer_Works_WithoutTheConnectionCheck()
    {
        await using var pooler = await Pgbouncer.StartAsync(fixture.Upstream);
        var upstream = fixture.Upstream;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with
        {
            PolicyYaml = $$"""
                users:
                  - email: {{Alice}}
                    groups: [engineering]
                  - email: {{Bob}}
                    groups: [dba]
                gateway:
                  allowLoopbackPlaintext: true
                connections:
                  - name: pooled
                    upstream: { host: 127.0.0.1, port: {{pooler.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "{{upstream.Password}}", tls: disable }
                    access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
                """,
        });
        var alice = await gateway.CreateTokenAsync(Alice);
        using (var requester = gateway.Client(alice))
        using (var bob = gateway.Client(await gateway.CreateTokenAsync(Bob)))
        {
            var request = await requester.PostAsync("api/requests", new { connection = "pooled", duration = "1h" }, HttpStatusCode.Created);
            await bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = gateway.Service<PostgresListenerInfo>().Port, Database = "pooled", Username = Alice, Password = alice,
            SslMode = SslMode.Disable, Pooling = false,
        };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();

        Assert.Equal(42, await new NpgsqlCommand("SELECT 42", connection).ExecuteScalarAsync());
        Assert.Equal("0", await new NpgsqlCommand("SHOW client_connection_check_interval", connection).ExecuteScalarAsync());
        Assert.Contains("unsupported startup parameter: client_connection_check_interval", await pooler.LogAsync(), StringComparison.Ordinal);
    }

    /// <summary>pgbouncer in session mode in front of the test cluster, as the upstream's owner knows it; run as postgres when root (it refuses root).</summary>
    private sealed class Pgbouncer : IAsyncDisposable
    {
        private readonly string _dir;

        private Pgbouncer(string dir, int port) => (_dir, Port) = (dir, port);

        public int Port { get; }

        public static async Task<Pgbouncer> StartAsync(PgUpstream upstream)
        {
            var binary = new[] { "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("pgbouncer is not installed (scripts/setup-tools.sh --test-clients installs it)");
            var dir = Path.Combine(Path.GetTempPath(), "appliance-pgbouncer-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            await File.WriteAllTextAsync(Path.Combine(dir, "pgbouncer.ini"), $"""
                [databases]
                * = host={upstream.Host} port={upstream.Port}
                [pgbouncer]
                listen_addr = 127.0.0.1
                listen_port = {port}
                unix_socket_dir =
                auth_type = scram-sha-256
                auth_file = {dir}/users.txt
                pool_mode = session
                logfile = {dir}/pgbouncer.log
                pidfile = {dir}/pgbouncer.pid
                """);
            await File.WriteAllTextAsync(Path.Combine(dir, "users.txt"), $"\"{upstream.User}\" \"{upstream.Password}\"\n");
            var root = Environment.UserName == "root";
            if (root)
            {
                await RunAsync("chown", ["-R", "postgres", dir]);
            }

            await RunAsync(root ? "runuser" : binary, root ? ["-u", "postgres", "--", binary, "-d", $"{dir}/pgbouncer.ini"] : ["-d", $"{dir}/pgbouncer.ini"]);
            var pooler = new Pgbouncer(dir, port);
            for (var waited = Stopwatch.StartNew(); ; await Task.Delay(50))
            {
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, port);
                    return pooler;
                }
                catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(10))
                {
                }
            }
        }

        public Task<string> LogAsync() => File.ReadAllTextAsync(Path.Combine(_dir, "pgbouncer.log"));

        public async ValueTask DisposeAsync()
        {
            var pidFile = Path.Combine(_dir, "pgbouncer.pid");
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                    await process.WaitForExitAsync();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }

            Directory.Delete(_dir, recursive: true);
        }

        private static async Task RunAsync(string file, string[] arguments)
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: {error}");
        }
    }
}
