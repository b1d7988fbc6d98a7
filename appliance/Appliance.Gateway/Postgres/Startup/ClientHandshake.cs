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
/// password exchange and the upstream login (<see cref="Login"/>).
/// Startup packets are read exactly, byte for byte, so nothing sent in plaintext before TLS
/// can be mistaken for data sent under it. Everything here is synchronous, on the session's
/// own thread: a socket that never saw an asynchronous call stays a plain blocking socket,
/// which the relay then reads and writes with one system call each (no epoll thread, no
/// wake-up hop; performance.md).
/// </summary>
internal sealed partial class ClientHandshake(
    PostgresListenerOptions options,
    GatewayCertificate certificate,
    Identity.NativeClientAuthenticator authenticator,
    Upstream.UpstreamConnector upstream,
    SessionRegistry registry,
    Configuration.IPolicyProvider policy,
    Policy.ColumnCatalogs catalogs,
    Audit.SessionRecorder recorder,
    TimeProvider time,
    ILogger<ClientHandshake> logger)
{
    /// <summary>SSLRequest and GSSENCRequest may precede the StartupMessage; more than this is not a client.</summary>
    private const int MaxNegotiations = 3;

    private static readonly SslApplicationProtocol PostgresAlpn = new("postgresql"u8.ToArray());

    /// <summary>Runs the handshake; null when there is no session to run (refused, a cancel request, or the client left).</summary>
    public SessionStart? Run(Socket socket, IPEndPoint? remote, CancellationToken aborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(options.StartupTimeout);
        var cancellationToken = timeout.Token;

        // A blocking read cannot be cancelled: shutting the socket down ends it.
        using var expiry = cancellationToken.Register(() => ShutdownQuietly(socket));
        var client = new ClientLeg(new NetworkStream(socket, ownsSocket: false));
        var clientAddress = Address(remote);
        SessionStart? start = null;
        try
        {
            start = Negotiate(socket, client, clientAddress, remote, cancellationToken);
            return start;
        }
        catch (PgProtocolException e)
        {
            Log.ClientProtocolError(logger, clientAddress, e.Message);
            TryFatal(client, e.SqlState, e.Message);
            return null;
        }
        catch (Exception e) when (timeout.IsCancellationRequested && !aborted.IsCancellationRequested && IsIoFailure(e))
        {
            Log.StartupTimedOut(logger, clientAddress);
            return null;
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            // The client went away or its TLS handshake failed: nobody to answer.
            Log.ClientLeftDuringStartup(logger, clientAddress, e.Message);
            return null;
        }
        finally
        {
            if (start is null)
            {
                client.Stream.Dispose();
            }
        }
    }

    private static bool IsIoFailure(Exception e) =>
        e is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException or EndOfStreamException;

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    private SessionStart? Negotiate(Socket socket, ClientLeg client, string clientAddress, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        var first = new byte[1];
        if (socket.Receive(first, SocketFlags.Peek) == 0)
        {
            return null;
        }

        if (first[0] == DirectTlsHandshake.TlsHandshakeRecordType)
        {
            StartTls(client, direct: true);
        }

        for (var negotiations = 0; ; negotiations++)
        {
            if (negotiations > MaxNegotiations)
            {
                throw new PgProtocolException("Too many SSL/GSS negotiation requests before the startup message.");
            }

            switch (ReadStartupPacket(client.Stream))
            {
                case SslRequestPacket when client.Tls:
                    throw new PgProtocolException("An SSL request arrived over an encrypted connection.");
                case SslRequestPacket:
                    client.Stream.Write("S"u8);
                    StartTls(client, direct: false);
                    break;
                case GssEncRequestPacket when client.Tls:
                    throw new PgProtocolException("A GSSAPI encryption request arrived over an encrypted connection.");
                case GssEncRequestPacket:
                    // No GSSAPI here: 'N', and the client goes on with SSLRequest or a plain startup.
                    client.Stream.Write("N"u8);
                    break;
                case CancelRequestPacket cancel:
                    registry.Cancel(cancel.ProcessId, cancel.SecretKey, clientAddress);
                    return null;
                case StartupMessagePacket startup:
                    return Login(socket, client, startup, clientAddress, remote, cancellationToken);
                default:
                    throw new PgProtocolException("A TLS handshake can only open the connection.");
            }
        }
    }

    private void StartTls(ClientLeg client, bool direct)
    {
        var tls = new SslStream(client.Stream, leaveInnerStreamOpen: false);
        client.Stream = tls;
        tls.AuthenticateAsServer(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Get(),
            ClientCertificateRequired = false,
            // A client that offers ALPN must offer postgresql (PostgreSQL 17 refuses others too).
            ApplicationProtocols = [PostgresAlpn],
        });
        client.Tls = true;
        if (direct && tls.NegotiatedApplicationProtocol != PostgresAlpn)
        {
            // Direct TLS without ALPN could be any protocol aimed at this port; PostgreSQL 17 refuses it the same way.
            throw new PgProtocolException("Direct SSL connections require the ALPN protocol postgresql.");
        }
    }

    /// <summary>Reads exactly one untyped startup packet: the length word, then the rest, nothing more.</summary>
    private static StartupPacket ReadStartupPacket(Stream stream)
    {
        var header = new byte[4];
        stream.ReadExactly(header);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < PgLimits.MinStartupPacketLength or > PgLimits.MaxStartupPacketLength)
        {
            throw new PgProtocolException($"Invalid length {length} of startup packet: it must be between {PgLimits.MinStartupPacketLength} and {PgLimits.MaxStartupPacketLength} bytes.");
        }

        var packet = new byte[length];
        header.CopyTo(packet, 0);
        stream.ReadExactly(packet.AsSpan(4));
        if (!StartupPacketReader.TryRead(packet, out var parsed, out _) || parsed is null)
        {
            throw new PgProtocolException("Invalid startup packet.");
        }

        return parsed;
    }

    private static void TryFatal(ClientLeg client, string sqlState, string message)
    {
        try
        {
            client.Stream.Write(LocalMessages.Fatal(sqlState, message));
            client.Stream.Flush();
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
