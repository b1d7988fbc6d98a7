using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Policy.Configuration;
using Appliance.Wire;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Upstream;

/// <summary>
/// Opens the gateway's leg to a connection's upstream: TCP, TLS as the connection says
/// (disable, prefer, require, verify-full), then the login with the stored credentials
/// (<see cref="Login"/>). Also sends cancel requests to an upstream backend. Synchronous, on
/// the session's thread, so the socket stays a plain blocking socket for the relay.
/// </summary>
internal sealed partial class UpstreamConnector(PostgresListenerOptions options, ILogger<UpstreamConnector> logger)
{
    private const byte TlsAccepted = (byte)'S';
    private const byte TlsRefused = (byte)'N';

    /// <summary>TCP connection and, when configured, TLS, within the connect timeout.</summary>
    /// <exception cref="UpstreamLoginException">Unreachable, or TLS required and refused or failed.</exception>
    public (Socket Socket, Stream Stream) Open(UpstreamPolicy upstream)
    {
        var socket = ConnectTcp(upstream);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        using var timeout = new CancellationTokenSource(options.UpstreamConnectTimeout);
        using var expiry = timeout.Token.Register(() => socket.Dispose());
        try
        {
            if (upstream.Tls != UpstreamTls.Disable)
            {
                stream = NegotiateTls(upstream, stream);
            }

            return (socket, stream);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && e is IOException or SocketException or ObjectDisposedException)
        {
            stream.Dispose();
            throw new UpstreamLoginException($"the upstream server {upstream.Host}:{upstream.Port} did not answer in time", e);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Asks the upstream to cancel what its backend <paramref name="processId"/> runs (a new connection, as the protocol wants).</summary>
    public void Cancel(UpstreamPolicy upstream, int processId, byte[] secretKey)
    {
        var (socket, stream) = Open(upstream);
        using (stream)
        {
            using var output = new OutputBuffer(64);
            FrontendWriter.WriteCancelRequest(output, processId, secretKey);
            output.FlushTo(stream);

            // The server answers nothing and closes: wait for that (briefly), so the request has been read.
            socket.ReceiveTimeout = 5000;
            try
            {
                _ = stream.Read(new byte[1]);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                // Closed or slow: the request was sent either way.
            }
        }
    }

    private Socket ConnectTcp(UpstreamPolicy upstream)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(upstream.Host, out var literal) ? [literal] : Dns.GetHostAddresses(upstream.Host);
        }
        catch (SocketException e)
        {
            throw new UpstreamLoginException($"could not resolve the upstream host \"{upstream.Host}\": {e.Message}", e);
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = new CancellationTokenSource(options.UpstreamConnectTimeout);
            using var expiry = timeout.Token.Register(() => socket.Dispose());
            try
            {
                socket.Connect(new IPEndPoint(address, upstream.Port));
                return socket;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                socket.Dispose();
                last = timeout.IsCancellationRequested ? new TimeoutException("timed out", e) : e;
            }
        }

        throw new UpstreamLoginException(
            $"could not connect to the upstream server {upstream.Host}:{upstream.Port}: {last?.Message ?? "no address"}", last!);
    }

    private static Stream NegotiateTls(UpstreamPolicy upstream, Stream stream)
    {
        using (var output = new OutputBuffer(16))
        {
            FrontendWriter.WriteSslRequest(output);
            output.FlushTo(stream);
        }

        var answer = new byte[1];
        stream.ReadExactly(answer);
        if (answer[0] == TlsRefused)
        {
            return upstream.Tls == UpstreamTls.Prefer
                ? stream
                : throw new UpstreamLoginException($"the upstream server {upstream.Host}:{upstream.Port} does not offer TLS, which the connection requires (tls: {Describe(upstream.Tls)})");
        }

        if (answer[0] != TlsAccepted)
        {
            throw new UpstreamLoginException($"the upstream server {upstream.Host}:{upstream.Port} answered the SSL request with an unexpected byte {answer[0]}");
        }

        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        var verify = upstream.Tls == UpstreamTls.VerifyFull;
        try
        {
            tls.AuthenticateAsClient(new SslClientAuthenticationOptions
            {
                TargetHost = upstream.Host,
                // prefer/require encrypt without checking who answers, as libpq's sslmode of the same names;
                // verify-full checks the chain against the system's roots and the host name.
                RemoteCertificateValidationCallback = verify ? null : static (_, _, _, _) => true,
            });
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            tls.Dispose();
            throw new UpstreamLoginException(
                $"TLS with the upstream server {upstream.Host}:{upstream.Port} failed (tls: {Describe(upstream.Tls)}): {e.Message}", e);
        }

        return tls;
    }

    internal static string Describe(UpstreamTls tls) => tls switch
    {
        UpstreamTls.Disable => "disable",
        UpstreamTls.Prefer => "prefer",
        UpstreamTls.Require => "require",
        _ => "verify-full",
    };

    /// <summary>Reads until one whole message is buffered, bounded like any other; returns its total length.</summary>
    internal static int ReadMessage(Stream stream, InputBuffer input, int maxLength, string during)
    {
        while (true)
        {
            var status = input.TryRead(maxLength, out var frame);
            if (status == PgFrameStatus.Complete)
            {
                return frame.TotalLength;
            }

            if (status == PgFrameStatus.TooLarge)
            {
                throw new UpstreamLoginException(SqlStates.ProtocolViolation, $"the upstream sent a {frame.Length}-byte message during {during}");
            }

            if (!input.Fill(stream))
            {
                throw new UpstreamLoginException(SqlStates.ConnectionFailure, $"the upstream server closed the connection during {during}");
            }
        }
    }
}
