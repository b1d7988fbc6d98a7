using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Sessions;
using Appliance.Wire;
using Appliance.Wire.Framing;

namespace Appliance.Gateway.Postgres.Startup;

/// <summary>
/// A client's way in, before any query: direct TLS (PostgreSQL 17's ClientHello with ALPN
/// <c>postgresql</c>), SSLRequest answered in band then TLS, GSSENCRequest refused, CancelRequest
/// mapped to the upstream backend, and the StartupMessage with protocol negotiation; then the
/// password exchange and the upstream login (<see cref="ClientHandshake.LoginAsync"/>).
/// Startup packets are read exactly, byte for byte, so nothing sent in plaintext before TLS
/// can be mistaken for data sent under it.
/// </summary>
internal sealed partial class ClientHandshake(
    PostgresListenerOptions options,
    GatewayCertificate certificate,
    Identity.NativeClientAuthenticator authenticator,
    Upstream.UpstreamConnector upstream,
    SessionRegistry registry,
    Configuration.IPolicyProvider policy,
    Policy.ColumnCatalogs catalogs,
    ILogger<ClientHandshake> logger)
{
    /// <summary>SSLRequest and GSSENCRequest may precede the StartupMessage; more than this is not a client.</summary>
    private const int MaxNegotiations = 3;

    private static readonly SslApplicationProtocol PostgresAlpn = new("postgresql"u8.ToArray());

    /// <summary>Runs the handshake; null when there is no session to run (refused, a cancel request, or the client left).</summary>
    public async Task<SessionStart?> RunAsync(Socket socket, IPEndPoint? remote, CancellationToken aborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(options.StartupTimeout);
        var cancellationToken = timeout.Token;
        var client = new ClientLeg(new NetworkStream(socket, ownsSocket: false));
        var clientAddress = Address(remote);
        SessionStart? start = null;
        try
        {
            start = await NegotiateAsync(socket, client, clientAddress, remote, cancellationToken);
            return start;
        }
        catch (PgProtocolException e)
        {
            Log.ClientProtocolError(logger, clientAddress, e.Message);
            await TryFatalAsync(client, e.SqlState, e.Message);
            return null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            Log.StartupTimedOut(logger, clientAddress);
            await TryFatalAsync(client, SqlStates.QueryCanceled, "canceling authentication due to timeout");
            return null;
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or its TLS handshake failed: nobody to answer.
            Log.ClientLeftDuringStartup(logger, clientAddress, e.Message);
            return null;
        }
        finally
        {
            if (start is null)
            {
                await client.Stream.DisposeAsync();
            }
        }
    }

    private async Task<SessionStart?> NegotiateAsync(
        Socket socket, ClientLeg client, string clientAddress, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        var first = new byte[1];
        if (await socket.ReceiveAsync(first, SocketFlags.Peek, cancellationToken) == 0)
        {
            return null;
        }

        if (first[0] == DirectTlsHandshake.TlsHandshakeRecordType)
        {
            await StartTlsAsync(client, direct: true, cancellationToken);
        }

        for (var negotiations = 0; ; negotiations++)
        {
            if (negotiations > MaxNegotiations)
            {
                throw new PgProtocolException("Too many SSL/GSS negotiation requests before the startup message.");
            }

            switch (await ReadStartupPacketAsync(client.Stream, cancellationToken))
            {
                case SslRequestPacket when client.Tls:
                    throw new PgProtocolException("An SSL request arrived over an encrypted connection.");
                case SslRequestPacket:
                    await client.Stream.WriteAsync("S"u8.ToArray(), cancellationToken);
                    await StartTlsAsync(client, direct: false, cancellationToken);
                    break;
                case GssEncRequestPacket when client.Tls:
                    throw new PgProtocolException("A GSSAPI encryption request arrived over an encrypted connection.");
                case GssEncRequestPacket:
                    // No GSSAPI here: 'N', and the client goes on with SSLRequest or a plain startup.
                    await client.Stream.WriteAsync("N"u8.ToArray(), cancellationToken);
                    break;
                case CancelRequestPacket cancel:
                    await registry.CancelAsync(cancel.ProcessId, cancel.SecretKey, clientAddress, cancellationToken);
                    return null;
                case StartupMessagePacket startup:
                    return await LoginAsync(socket, client, startup, clientAddress, remote, cancellationToken);
                default:
                    throw new PgProtocolException("A TLS handshake can only open the connection.");
            }
        }
    }

    private async Task StartTlsAsync(ClientLeg client, bool direct, CancellationToken cancellationToken)
    {
        var tls = new SslStream(client.Stream, leaveInnerStreamOpen: false);
        client.Stream = tls;
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Get(),
            ClientCertificateRequired = false,
            // A client that offers ALPN must offer postgresql (PostgreSQL 17 refuses others too).
            ApplicationProtocols = [PostgresAlpn],
        }, cancellationToken);
        client.Tls = true;
        if (direct && tls.NegotiatedApplicationProtocol != PostgresAlpn)
        {
            // Direct TLS without ALPN could be any protocol aimed at this port; PostgreSQL 17 refuses it the same way.
            throw new PgProtocolException("Direct SSL connections require the ALPN protocol postgresql.");
        }
    }

    /// <summary>Reads exactly one untyped startup packet: the length word, then the rest, nothing more.</summary>
    private static async Task<StartupPacket> ReadStartupPacketAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < PgLimits.MinStartupPacketLength or > PgLimits.MaxStartupPacketLength)
        {
            throw new PgProtocolException($"Invalid length {length} of startup packet: it must be between {PgLimits.MinStartupPacketLength} and {PgLimits.MaxStartupPacketLength} bytes.");
        }

        var packet = new byte[length];
        header.CopyTo(packet, 0);
        await stream.ReadExactlyAsync(packet.AsMemory(4), cancellationToken);
        if (!StartupPacketReader.TryRead(packet, out var parsed, out _) || parsed is null)
        {
            throw new PgProtocolException("Invalid startup packet.");
        }

        return parsed;
    }

    private static async Task TryFatalAsync(ClientLeg client, string sqlState, string message)
    {
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.Stream.WriteAsync(LocalMessages.Fatal(sqlState, message), cancel.Token);
            await client.Stream.FlushAsync(cancel.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The client is gone or TLS is mid-handshake: nothing more to say.
        }
    }

    private static string Address(IPEndPoint? remote)
    {
        if (remote is null)
        {
            return "unknown";
        }

        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        return address.ToString();
    }

    /// <summary>The client's stream, which becomes a TLS stream during the handshake.</summary>
    private sealed class ClientLeg(Stream stream)
    {
        public Stream Stream { get; set; } = stream;

        public bool Tls { get; set; }
    }
}
