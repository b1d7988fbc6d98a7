using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Upstream;
using Appliance.Policy.Masking;
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
    private SessionStart? Login(
        Socket socket, ClientLeg client, StartupMessagePacket startup, string clientAddress, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        using var output = new OutputBuffer(512);
        var user = startup.User;
        if (string.IsNullOrEmpty(user))
        {
            return Refuse(client, SqlStates.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet");
        }

        var database = startup.Database is { Length: > 0 } named ? named : user;
        if (startup.GetParameter("replication") is { } replication && !IsOff(replication))
        {
            return Refuse(client, SqlStates.FeatureNotSupported, "the gateway does not relay replication connections");
        }

        // PostgreSQL 18 clients may ask for 3.2 and _pq_ options: the gateway speaks 3.0 and no options.
        var unrecognized = startup.ProtocolOptions.ToArray();
        if (startup.Version.Minor > 0 || unrecognized.Length > 0)
        {
            BackendWriter.WriteNegotiateProtocolVersion(output, ProtocolVersion.V30, unrecognized);
        }

        if (!client.Tls && !PlaintextAllowed(remote))
        {
            output.FlushTo(client.Stream);
            Log.PlaintextRefused(logger, clientAddress, LoggedUser(user));
            return Refuse(client, SqlStates.InvalidAuthorizationSpecification,
                "the gateway accepts passwords only over TLS: connect with sslmode=require (or prefer)");
        }

        BackendWriter.WriteAuthenticationCleartextPassword(output);
        output.FlushTo(client.Stream);
        var password = ReadPassword(client.Stream);
        if (password is null)
        {
            // psql hangs up when asked for a password it does not have, then asks the user and comes back.
            return null;
        }

        var auth = authenticator.AuthenticateAsync(user, database, password, clientAddress, cancellationToken).GetAwaiter().GetResult();
        if (auth.Access is not { } access)
        {
            var sqlState = auth.SqlState ?? SqlStates.InvalidAuthorizationSpecification;
            var message = auth.Message ?? "access denied";
            Log.LoginRefused(logger, clientAddress, LoggedUser(user), LoggedDatabase(database), sqlState);
            if (!auth.Throttled)
            {
                RecordRefusedLogin(user, database, clientAddress, startup.GetParameter("application_name"), sqlState, message);
            }

            return Refuse(client, sqlState, message);
        }

        var parameters = startup.Parameters
            .Where(p => !GatewayParameters.Contains(p.Key) && !p.Key.StartsWith(StartupMessagePacket.ProtocolOptionPrefix, StringComparison.Ordinal))
            .ToList();
        UpstreamConnection? connection = null;
        try
        {
            connection = upstream.Login(access.Connection.Upstream, parameters, cancellationToken);
            var runtime = ConnectionRuntime.For(access.Connection);
            var catalog = runtime.Masker.HasColumnRules
                ? catalogs.Get(access.Connection, connection)
                : ColumnCatalog.Empty;
            var start = new SessionStart(
                socket, client.Stream, client.Tls, clientAddress, startup.GetParameter("application_name"), access, connection, catalog, Settings(parameters, runtime));
            connection = null;
            return start;
        }
        catch (UpstreamLoginException e)
        {
            // The person got in and the upstream refused what they asked for (options=-c role=…, an
            // unknown setting): a session that ends at once, so the attempt is theirs in the audit.
            var sessionId = Access.Ids.NewSessionId();
            var refusal = Appliance.Logging.GatewayCredentials.Cut(e.Message, bareSecrets: true);
            Log.LoginRefusedUpstream(logger, sessionId, access.Person.Email, access.Connection.Name, access.Grant.Id, clientAddress, refusal);
            // The application name is the client's free text: recorded masked, as PgSession.Greet records it.
            var runtime = ConnectionRuntime.For(access.Connection);
            var application = startup.GetParameter("application_name") is { } name ? PgSession.RecordedApplication(runtime, name) : null;
            recorder.Start(new Audit.SessionInfo(
                sessionId, access.Person.Email, access.Connection.Name, access.Grant.Id, clientAddress, application, time.GetUtcNow(),
                Settings(parameters, runtime)));
            recorder.End(sessionId, $"the login was refused after authentication: {refusal}");
            return Refuse(client, e.SqlState, e.Message);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>
    /// What the session asked the upstream for at startup, for its record (application_name is
    /// recorded apart). A setting named like a password (<c>my.password=…</c> as a startup
    /// parameter, probe GD1) keeps no value, as one holding <c>password=</c> does not. A setting
    /// named twice keeps its last value, the one PostgreSQL applies (probe OB1: the second name
    /// threw, and the login ended with no message and no record).
    /// </summary>
    private static Dictionary<string, string> Settings(List<KeyValuePair<string, string>> parameters, ConnectionRuntime runtime)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters.Where(p => p.Key != "application_name"))
        {
            // PostgreSQL drops an option's backslashes (agc\_…): read and record what it applies.
            var applied = value.Replace("\\", "", StringComparison.Ordinal);
            // The upstream's password given as an option (-c application_name=…) is not kept either (probe EA7).
            settings[key] = Masker.HoldsSecret(applied) || Masker.HoldsSecret(key)
                ? "****"
                : runtime.CutSecret(runtime.Masker.Mask(Appliance.Logging.GatewayCredentials.Cut(applied, bareSecrets: true)));
        }

        return settings;
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
    private static string? ReadPassword(Stream stream)
    {
        var header = new byte[PgLimits.MessageHeaderLength];
        var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
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
            throw new PgProtocolException($"Expected a password response, got message type {PgProtocolException.DescribeType(header[0])}.");
        }

        if (length is < 5 or > PgLimits.MaxAuthMessageLength)
        {
            throw new PgProtocolException($"Invalid password message length {length}.");
        }

        var body = new byte[length - 4];
        stream.ReadExactly(body);
        var password = PasswordMessage.Parse(body).Password;
        if (!System.Text.Unicode.Utf8.IsValid(password))
        {
            throw new PgProtocolException("The password is not valid UTF-8.");
        }

        var text = Encoding.UTF8.GetString(password);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(body);
        return text;
    }

    private static SessionStart? Refuse(ClientLeg client, string sqlState, string message)
    {
        TryFatal(client, sqlState, message);
        return null;
    }

    private static bool IsOff(string value) =>
        value.Equals("false", StringComparison.OrdinalIgnoreCase) || value.Equals("off", StringComparison.OrdinalIgnoreCase)
        || value.Equals("no", StringComparison.OrdinalIgnoreCase) || value == "0";

    /// <summary>
    /// A refused login, as a session that ended at once, so auditors find failed logins where they
    /// search sessions (probe DY4: only the log had them). The user and database are recorded as the
    /// log keeps them (a token typed into either is not kept), and so is the reason, which quotes the
    /// user. Logins refused unheard while their address or user is locked out are not recorded one
    /// by one: the failures that led there are.
    /// </summary>
    private void RecordRefusedLogin(string user, string database, string clientAddress, string? application, string sqlState, string message)
    {
        var recordedUser = LoggedUser(user);
        var recordedDatabase = LoggedDatabase(database);
        var reason = Appliance.Logging.GatewayCredentials.Cut(
            message.Replace($"\"{user}\"", $"\"{recordedUser}\"", StringComparison.Ordinal)
                .Replace($"\"{database}\"", $"\"{recordedDatabase}\"", StringComparison.Ordinal), bareSecrets: true);
        var sessionId = Access.Ids.NewSessionId();
        // The application name is free text, recorded masked as the connection masks it; with no connection, not at all.
        var recordedApplication = application is not null && policy.Current.FindConnection(database) is { } connection
            ? PgSession.RecordedApplication(ConnectionRuntime.For(connection), application)
            : null;
        recorder.Start(new Audit.SessionInfo(sessionId, recordedUser, recordedDatabase, "", clientAddress, recordedApplication, time.GetUtcNow()));
        recorder.End(sessionId, $"the login was refused ({sqlState}): {reason}");
    }

    /// <summary>
    /// The user name as the log keeps it: only a person the policy names. A token typed into the
    /// user field (psql user=apt_…) or glued to an address (alice@example.com:apt_…) is a live
    /// credential, and the log may be shipped elsewhere (probes BX2, CQ1); a line break in a name
    /// wrote a line of its own into the log (CM1). Anything else is logged by its length.
    /// </summary>
    private string LoggedUser(string user) =>
        policy.Current.Users.Any(u => string.Equals(u.Email, user, StringComparison.OrdinalIgnoreCase))
            ? user
            : $"(not a user the policy names: {user.Length} characters)";

    /// <summary>
    /// The database name as the log keeps it: only a connection the policy names.
    /// <c>psql -U alice@example.com &lt;token&gt;</c> sends the token as the database, and it was
    /// logged in clear (probes CN1, CQ1).
    /// </summary>
    private string LoggedDatabase(string database) =>
        policy.Current.Connections.Any(c => string.Equals(c.Name, database, StringComparison.Ordinal))
            ? database
            : $"(not a connection the policy names: {database.Length} characters)";
}
