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
    }
}
