using System.Net;
using System.Net.Sockets;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Tests.Common.Gateway;

namespace Appliance.Gateway.Tests.Postgres.Listener;

/// <summary>The listener's port is the gateway's alone.</summary>
public sealed class ListenerPortTests
{
    /// <summary>
    /// A second process that asks to share the port (.NET's ReuseAddress is SO_REUSEPORT on Linux,
    /// as a second gateway's listener was) cannot bind it: sharing it, it took half the logins and
    /// their tokens (probe BB).
    /// </summary>
    [Fact]
    public async Task AnotherSocketAskingToShareThePort_CannotBindIt()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        var port = gateway.Service<PostgresListenerInfo>().Port;

        foreach (var address in new[] { IPAddress.Any, IPAddress.Loopback })
        {
            using var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            intruder.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            var refused = Assert.Throws<SocketException>(() => intruder.Bind(new IPEndPoint(address, port)));
            Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);
        }

        // A second gateway on the port does not start, and says why (probe CA: it aborted with stack traces).
        var second = await Assert.ThrowsAnyAsync<IOException>(() => TestGateway.StartAsync(
            TestGatewayOptions.InTempDir() with { Settings = new Dictionary<string, string?> { ["APPLIANCE_PG_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) } }));
        Assert.Equal($"The PostgreSQL listener cannot bind port {port}: another process uses it (APPLIANCE_PG_PORT).", second.Message);
    }
}

/// <summary>The advanced settings (the listener's, the cluster poll, webhook retries): a value given but unreadable stops the start, naming it.</summary>
public sealed class AdvancedSettingsTests
{
    [Theory]
    [InlineData("APPLIANCE_PG_STARTUP_TIMEOUT", "5s", "APPLIANCE_PG_STARTUP_TIMEOUT=5s is not a time span: write it as hh:mm:ss")]
    [InlineData("APPLIANCE_PG_MAX_HANDSHAKES", "lots", "APPLIANCE_PG_MAX_HANDSHAKES=lots is not a whole number.")]
    [InlineData("APPLIANCE_PG_EVENT_LOOP", "1.5", "APPLIANCE_PG_EVENT_LOOP=1.5 is not a whole number.")]
    [InlineData("APPLIANCE_PG_MAX_HANDSHAKES", "0", "APPLIANCE_PG_MAX_HANDSHAKES must be between 1 and 100000.")]
    [InlineData("APPLIANCE_CLUSTER_POLL", "2s", "APPLIANCE_CLUSTER_POLL must be a positive time span")]
    [InlineData("APPLIANCE_WEBHOOK_MAX_ATTEMPTS", "lots", "APPLIANCE_WEBHOOK_MAX_ATTEMPTS must be a whole number of at least 1")]
    [InlineData("APPLIANCE_WEBHOOK_BACKOFF", "5s", "APPLIANCE_WEBHOOK_BACKOFF must be a positive time span")]
    // Kestrel's endpoints threw on these before validation ran: an abort with a stack trace (probe DC).
    [InlineData("APPLIANCE_HTTP_PORT", "abc", "APPLIANCE_HTTP_PORT must be between 0 and 65535.")]
    [InlineData("APPLIANCE_PG_PORT", "99999", "APPLIANCE_PG_PORT must be between 0 and 65535.")]
    [InlineData("APPLIANCE_STORE", "garbage", "APPLIANCE_STORE is not a PostgreSQL connection string")]
    [InlineData("APPLIANCE_STORE", "Password=TopSecret;;=garbage", "APPLIANCE_STORE is not a PostgreSQL connection string")]
    public async Task UnreadableOrOutOfRange_StopsTheStart_NamingTheSetting(string name, string value, string expected)
    {
        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestGateway.StartAsync(
            TestGatewayOptions.InTempDir() with { Settings = new Dictionary<string, string?> { [name] = value } }));

        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TopSecret", refused.Message, StringComparison.Ordinal);

        // Only the setting that is wrong is named.
        Assert.All(["APPLIANCE_WEBHOOK_BACKOFF", "APPLIANCE_WEBHOOK_MAX_ATTEMPTS"], other =>
        {
            if (other != name)
            {
                Assert.DoesNotContain(other, refused.Message, StringComparison.Ordinal);
            }
        });
    }

    [Fact]
    public async Task ReadableValues_AreTaken()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with
        {
            Settings = new Dictionary<string, string?> { ["APPLIANCE_PG_STARTUP_TIMEOUT"] = "00:00:05", ["APPLIANCE_PG_MAX_HANDSHAKES"] = " 12 " },
        });

        var options = gateway.Service<Microsoft.Extensions.Options.IOptions<Appliance.Gateway.Postgres.PostgresListenerOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(5), options.StartupTimeout);
        Assert.Equal(12, options.MaxPendingHandshakes);
    }
}
