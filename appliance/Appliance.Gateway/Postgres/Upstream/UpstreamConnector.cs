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
/// (<see cref="UpstreamConnector.LoginAsync"/>). Also sends cancel requests to an upstream backend.
/// </summary>
internal sealed partial class UpstreamConnector(PostgresListenerOptions options, ILogger<UpstreamConnector> logger)
{
    private const byte TlsAccepted = (byte)'S';
    private const byte TlsRefused = (byte)'N';

    /// <summary>TCP connection and, when configured, TLS.</summary>
    /// <exception cref="UpstreamLoginException">Unreachable, or TLS required and refused or failed.</exception>
    public async Task<(Socket Socket, Stream Stream)> OpenAsync(UpstreamPolicy upstream, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.UpstreamConnectTimeout);
        var socket = await ConnectTcpAsync(upstream, timeout.Token);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (upstream.Tls != UpstreamTls.Disable)
            {
                stream = await NegotiateTlsAsync(upstream, stream, timeout.Token);
            }

            return (socket, stream);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Asks the upstream to cancel what its backend <paramref name="processId"/> runs (a new connection, as the protocol wants).</summary>
    public async Task CancelAsync(UpstreamPolicy upstream, int processId, byte[] secretKey, CancellationToken cancellationToken)
    {
        var (_, stream) = await OpenAsync(upstream, cancellationToken);
        await using (stream)
        {
            var output = new OutputBuffer(64);
            FrontendWriter.WriteCancelRequest(output, processId, secretKey);
            await output.FlushToAsync(stream, cancellationToken);
            output.Dispose();

            // The server answers nothing and closes: wait for that, so the cancel has been read.
            var buffer = new byte[1];
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                _ = await stream.ReadAsync(buffer, wait.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // Closed or slow: the request was sent either way.
            }
        }
    }

    private static async Task<Socket> ConnectTcpAsync(UpstreamPolicy upstream, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(upstream.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(upstream.Host, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new UpstreamLoginException($"could not resolve the upstream host \"{upstream.Host}\": {e.Message}", e);
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, upstream.Port), cancellationToken);
                return socket;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                last = e;
            }
        }

        var reason = last is OperationCanceledException ? "timed out" : last?.Message ?? "no address";
        throw new UpstreamLoginException($"could not connect to the upstream server {upstream.Host}:{upstream.Port}: {reason}", last!);
    }

    private static async Task<Stream> NegotiateTlsAsync(UpstreamPolicy upstream, Stream stream, CancellationToken cancellationToken)
    {
        var output = new OutputBuffer(16);
        FrontendWriter.WriteSslRequest(output);
        await output.FlushToAsync(stream, cancellationToken);
        output.Dispose();

        var answer = new byte[1];
        await stream.ReadExactlyAsync(answer, cancellationToken);
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
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = upstream.Host,
                // prefer/require encrypt without checking who answers, as libpq's sslmode of the same names;
                // verify-full checks the chain against the system's roots and the host name.
                RemoteCertificateValidationCallback = verify ? null : static (_, _, _, _) => true,
            }, cancellationToken);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await tls.DisposeAsync();
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

    /// <summary>Reads one whole message from the upstream during login, bounded like any other.</summary>
    private static async Task<int> ReadMessageAsync(Stream stream, InputBuffer input, int maxLength, CancellationToken cancellationToken)
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
                throw new UpstreamLoginException(SqlStates.ProtocolViolation, $"the upstream sent a {frame.Length}-byte message during login");
            }

            if (!await input.FillAsync(stream, cancellationToken))
            {
                throw new UpstreamLoginException(SqlStates.ConnectionFailure, "the upstream server closed the connection during login");
            }
        }
    }
}
