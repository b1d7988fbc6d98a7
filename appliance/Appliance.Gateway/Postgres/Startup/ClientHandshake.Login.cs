using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Upstream;
using Appliance.Wire;
using Appliance.Wire.Framing;
using Appliance.Wire.Frontend;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Startup;

internal sealed partial class ClientHandshake
{
    /// <summary>Startup parameters that are the gateway's business, never passed upstream.</summary>
    private static readonly HashSet<string> GatewayParameters = new(StringComparer.Ordinal) { "user", "database", "replication" };

    /// <summary>
    /// The StartupMessage onwards: negotiate the protocol down to 3.0, ask for the password
    /// (the person's token or grant credential) in cleartext, over TLS unless loopback plaintext
    /// is allowed, check it and the grant, then log in upstream with the stored credentials.
    /// </summary>
    private async Task<SessionStart?> LoginAsync(
        Socket socket, ClientLeg client, StartupMessagePacket startup, string clientAddress, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        using var output = new OutputBuffer(512);
        var user = startup.User;
        if (string.IsNullOrEmpty(user))
        {
            return await RefuseAsync(client, SqlStates.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet");
        }

        var database = startup.Database is { Length: > 0 } named ? named : user;
        if (startup.GetParameter("replication") is { } replication && !IsOff(replication))
        {
            return await RefuseAsync(client, SqlStates.FeatureNotSupported, "the gateway does not relay replication connections");
        }

        // PostgreSQL 18 clients may ask for 3.2 and _pq_ options: the gateway speaks 3.0 and no options.
        var unrecognized = startup.ProtocolOptions.ToArray();
        if (startup.Version.Minor > 0 || unrecognized.Length > 0)
        {
            BackendWriter.WriteNegotiateProtocolVersion(output, 0, unrecognized);
        }

        if (!client.Tls && !PlaintextAllowed(remote))
        {
            await output.FlushToAsync(client.Stream, cancellationToken);
            Log.PlaintextRefused(logger, clientAddress, user);
            return await RefuseAsync(client, SqlStates.InvalidAuthorizationSpecification,
                "the gateway accepts passwords only over TLS: connect with sslmode=require (or prefer)");
        }

        BackendWriter.WriteAuthenticationCleartextPassword(output);
        await output.FlushToAsync(client.Stream, cancellationToken);
        var password = await ReadPasswordAsync(client.Stream, cancellationToken);
        if (password is null)
        {
            // psql hangs up when asked for a password it does not have, then asks the user and comes back.
            return null;
        }

        var auth = await authenticator.AuthenticateAsync(user, database, password, clientAddress, cancellationToken);
        if (auth.Access is not { } access)
        {
            Log.LoginRefused(logger, clientAddress, user, database, auth.SqlState ?? "");
            return await RefuseAsync(client, auth.SqlState ?? SqlStates.InvalidAuthorizationSpecification, auth.Message ?? "access denied");
        }

        var parameters = startup.Parameters
            .Where(p => !GatewayParameters.Contains(p.Key) && !p.Key.StartsWith(StartupMessagePacket.ProtocolOptionPrefix, StringComparison.Ordinal))
            .ToList();
        UpstreamConnection? connection = null;
        try
        {
            connection = await upstream.LoginAsync(access.Connection.Upstream, parameters, cancellationToken);
            var runtime = ConnectionRuntime.For(access.Connection);
            var catalog = runtime.Masker.HasColumnRules
                ? await catalogs.GetAsync(access.Connection, connection, cancellationToken)
                : ColumnCatalog.Empty;
            var start = new SessionStart(socket, client.Stream, client.Tls, clientAddress, startup.GetParameter("application_name"), access, connection, catalog);
            connection = null;
            return start;
        }
        catch (UpstreamLoginException e)
        {
            Log.UpstreamLoginFailed(logger, access.Connection.Name, access.Connection.Upstream.ToString(), e.Message);
            return await RefuseAsync(client, e.SqlState, e.Message);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private bool PlaintextAllowed(IPEndPoint? remote)
    {
        if (!policy.Current.Gateway.AllowLoopbackPlaintext || remote is null)
        {
            return false;
        }

        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        return IPAddress.IsLoopback(address);
    }

    /// <summary>The client's PasswordMessage; null if it hung up instead.</summary>
    private static async Task<string?> ReadPasswordAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[PgLimits.MessageHeaderLength];
        var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < header.Length)
        {
            throw new PgProtocolException("The connection closed in the middle of a message.");
        }

        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (header[0] != (byte)FrontendMessageType.Password)
        {
            throw new PgProtocolException($"Expected a password response, got message type {(char)header[0]}.");
        }

        if (length is < 5 or > PgLimits.MaxAuthMessageLength)
        {
            throw new PgProtocolException($"Invalid password message length {length}.");
        }

        var body = new byte[length - 4];
        await stream.ReadExactlyAsync(body, cancellationToken);
        var password = PasswordMessage.Parse(body).Password;
        if (!System.Text.Unicode.Utf8.IsValid(password))
        {
            throw new PgProtocolException("The password is not valid UTF-8.");
        }

        var text = Encoding.UTF8.GetString(password);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(body);
        return text;
    }

    private static async Task<SessionStart?> RefuseAsync(ClientLeg client, string sqlState, string message)
    {
        await TryFatalAsync(client, sqlState, message);
        return null;
    }

    private static bool IsOff(string value) =>
        value.Equals("false", StringComparison.OrdinalIgnoreCase) || value.Equals("off", StringComparison.OrdinalIgnoreCase)
        || value.Equals("no", StringComparison.OrdinalIgnoreCase) || value == "0";
}
