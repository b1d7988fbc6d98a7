using System.Net.Sockets;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Policy.Configuration;
using Appliance.Wire;
using Appliance.Wire.Authentication;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Upstream;

internal sealed partial class UpstreamConnector
{
    /// <summary>Login messages are small; a larger one is a confused or hostile server.</summary>
    private const int MaxLoginMessageLength = 1024 * 1024;

    /// <summary>
    /// Connects and logs in as the connection's stored user, answering whatever the upstream asks:
    /// SCRAM-SHA-256, MD5 or a cleartext password. Returns once the upstream is ready for queries.
    /// </summary>
    /// <param name="clientParameters">The client's startup parameters to pass on (application_name, client_encoding...).</param>
    /// <exception cref="UpstreamLoginException">Unreachable, TLS refused, or the login was refused.</exception>
    public UpstreamConnection Login(
        UpstreamPolicy upstream, IReadOnlyList<KeyValuePair<string, string>> clientParameters, CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, string>> parameters = [.. clientParameters.Where(p => !p.Key.Equals(ConnectionCheck.Key, StringComparison.OrdinalIgnoreCase))];
        var key = upstream.ToString();
        if (!ConnectionCheckUnknown.ContainsKey(key))
        {
            try
            {
                // Last, so that it overrides a client's options=-c… (PostgreSQL applies those first).
                return LoginWith(upstream, [.. parameters, ConnectionCheck], cancellationToken);
            }
            catch (UpstreamLoginException e) when (e.Message.Contains(ConnectionCheck.Key, StringComparison.Ordinal))
            {
                // PostgreSQL before 14 has no such setting (42704), and a pooler in front of the server may
                // refuse it (pgbouncer: 08P01 "unsupported startup parameter"): backends are then ended by Terminate only.
                ConnectionCheckUnknown[key] = true;
                Log.ConnectionCheckRefused(logger, key, e.Message);
            }
        }

        return LoginWith(upstream, parameters, cancellationToken);
    }

    /// <summary>
    /// A backend checks every second, while a statement runs, whether the gateway's socket is still
    /// there, and ends when it is not: a session the gateway cut does not run on upstream when its
    /// backend cannot be ended by name and its statement catches the cancel (probe BI1). A startup
    /// parameter, so RESET ALL and DISCARD ALL come back to it; the session-end guardrail refuses changing it.
    /// </summary>
    private static readonly KeyValuePair<string, string> ConnectionCheck = new("client_connection_check_interval", "1000");

    /// <summary>Upstreams that refused <see cref="ConnectionCheck"/> (PostgreSQL before 14), asked without it from then on.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> ConnectionCheckUnknown = new(StringComparer.Ordinal);

    private UpstreamConnection LoginWith(
        UpstreamPolicy upstream, IReadOnlyList<KeyValuePair<string, string>> clientParameters, CancellationToken cancellationToken)
    {
        var (socket, stream) = Open(upstream);
        var connection = new UpstreamConnection(socket, stream, new InputBuffer());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartupTimeout);
        using var expiry = timeout.Token.Register(() => socket.Dispose());
        try
        {
            using var output = new OutputBuffer(1024);
            FrontendWriter.WriteStartupMessage(output, ProtocolVersion.V30, [
                new("user", upstream.User),
                new("database", upstream.Database),
                .. clientParameters,
            ]);
            output.FlushTo(stream);

            var login = new LoginState(upstream);
            while (!login.Ready)
            {
                var length = ReadMessage(stream, connection.Input, MaxLoginMessageLength, "login");
                connection.Input.TryRead(MaxLoginMessageLength, out var frame);
                Step(frame, connection, login, output);
                connection.Input.Consume(length);
                output.FlushTo(stream);
            }

            RefuseSuperuserMembership(connection, upstream, output);
            Log.UpstreamLoggedIn(logger, upstream.ToString(), connection.ProcessId, connection.IsTls);
            return connection;
        }
        catch (Exception e) when (timeout.IsCancellationRequested && e is IOException or SocketException or ObjectDisposedException or UpstreamLoginException)
        {
            connection.Dispose();
            throw new UpstreamLoginException(SqlStates.ConnectionFailure, $"the upstream server {upstream.Host}:{upstream.Port} did not complete the login in time", e);
        }
        catch (Exception e) when (e is IOException or SocketException or PgProtocolException)
        {
            connection.Dispose();
            throw new UpstreamLoginException(SqlStates.ConnectionFailure, $"the login to the upstream server {upstream.Host}:{upstream.Port} failed: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Step(PgSpanFrame frame, UpstreamConnection connection, LoginState login, OutputBuffer output)
    {
        var body = frame.Body;
        switch ((BackendMessageType)frame.Type)
        {
            case BackendMessageType.Authentication:
                Authenticate(AuthenticationMessage.Parse(body), login, output);
                break;
            case BackendMessageType.ParameterStatus:
                var parameter = ParameterStatusMessage.Parse(body);
                if (ClientEncodings.IsClientEncoding(parameter.Name))
                {
                    if (ClientEncodings.Refusal(parameter.Value) is { } refusal)
                    {
                        throw new UpstreamLoginException(SqlStates.FeatureNotSupported, refusal);
                    }

                    connection.ClientEncoding = System.Text.Encoding.ASCII.GetString(parameter.Value);
                }

                if (Superusers.Refusal(parameter.Name, parameter.Value, login.Upstream) is { } superuser)
                {
                    throw new UpstreamLoginException(SqlStates.InsufficientPrivilege, superuser);
                }

                connection.StartupMessages.Add(frame.Message.ToArray());
                break;
            case BackendMessageType.NoticeResponse:
                connection.StartupMessages.Add(frame.Message.ToArray());
                break;
            case BackendMessageType.BackendKeyData:
                var key = BackendKeyDataMessage.Parse(body);
                connection.ProcessId = key.ProcessId;
                connection.SecretKey = key.SecretKey.ToArray();
                break;
            case BackendMessageType.NegotiateProtocolVersion:
                // We ask for 3.0 without options, so there is nothing to give up.
                NegotiateProtocolVersionMessage.Parse(body);
                break;
            case BackendMessageType.ErrorResponse:
                throw Refusal(ErrorOrNoticeMessage.Parse(body), login.Upstream);
            case BackendMessageType.ReadyForQuery:
                connection.Status = ReadyForQueryMessage.Parse(body).Status;
                if (!login.Authenticated)
                {
                    throw new UpstreamLoginException(SqlStates.ProtocolViolation, "the upstream server reported ready before authenticating the gateway");
                }

                login.Ready = true;
                break;
            default:
                throw new UpstreamLoginException(SqlStates.ProtocolViolation, $"the upstream server sent message type {PgProtocolException.DescribeType(frame.Type)} during login");
        }
    }

    private static void Authenticate(AuthenticationMessage request, LoginState login, OutputBuffer output)
    {
        var upstream = login.Upstream;
        switch (request.Kind)
        {
            case AuthenticationKind.Ok:
                if (login.Scram is { Completed: false })
                {
                    // A server that skips SCRAM's final message has not proven it knows the password.
                    throw new UpstreamLoginException(SqlStates.InvalidAuthorizationSpecification, "the upstream server ended SCRAM authentication without proving itself");
                }

                login.Authenticated = true;
                break;
            case AuthenticationKind.CleartextPassword:
                FrontendWriter.WritePasswordMessage(output, upstream.Password);
                break;
            case AuthenticationKind.Md5Password:
                FrontendWriter.WritePasswordMessage(output, Md5Password.Compute(upstream.User, upstream.Password, request.Data));
                break;
            case AuthenticationKind.Sasl:
                if (!request.SaslMechanisms.Contains("SCRAM-SHA-256"u8))
                {
                    throw new UpstreamLoginException(SqlStates.FeatureNotSupported, "the upstream server offers no SASL mechanism the gateway speaks (SCRAM-SHA-256)");
                }

                login.Scram = new ScramStep(new ScramSha256Client(upstream.Password));
                FrontendWriter.WriteSaslInitialResponse(output, ScramSha256Client.Mechanism, login.Scram.Client.CreateClientFirstMessage());
                break;
            case AuthenticationKind.SaslContinue when login.Scram is { } scram:
                FrontendWriter.WriteSaslResponse(output, scram.Client.CreateClientFinalMessage(request.Data));
                break;
            case AuthenticationKind.SaslFinal when login.Scram is { } scram:
                scram.Client.VerifyServerFinalMessage(request.Data);
                scram.Completed = true;
                break;
            default:
                throw new UpstreamLoginException(SqlStates.FeatureNotSupported,
                    $"the upstream server asks for authentication method {request.Code}, which the gateway does not speak (it speaks SCRAM-SHA-256, MD5 and password)");
        }
    }

    /// <summary>
    /// The upstream's refusal as the client may see it. A refused password names neither the
    /// stored user nor anything about the credentials. A refusal of the login itself (28000: a
    /// pg_hba.conf rule, encryption required, a role that may not log in) says so, not that the
    /// password is wrong, which sent administrators to rotate a working one (probe AO). Its words
    /// and those of other refusals (no such database, too many connections) are kept, with the
    /// stored user's name taken out.
    /// </summary>
    internal static UpstreamLoginException Refusal(ErrorOrNoticeMessage error, UpstreamPolicy upstream)
    {
        var sqlState = System.Text.Encoding.ASCII.GetString(error.SqlState);
        if (sqlState is SqlStates.InvalidPassword)
        {
            return new UpstreamLoginException(SqlStates.SqlServerRejectedEstablishmentOfConnection,
                $"the upstream server {upstream.Host}:{upstream.Port} refused the gateway's stored credentials (SQLSTATE {sqlState}); an administrator must fix the connection's upstream settings");
        }

        // PostgreSQL names the role quoted after "user" or "role": only there is it replaced, so a
        // short name does not mangle the rest, nor a database of the same name (probe AP).
        var words = System.Text.Encoding.UTF8.GetString(error.Message)
            .Replace($"user \"{upstream.User}\"", "user \"(the stored user)\"", StringComparison.Ordinal)
            .Replace($"role \"{upstream.User}\"", "role \"(the stored user)\"", StringComparison.Ordinal);

        if (sqlState is SqlStates.InvalidAuthorizationSpecification)
        {
            return new UpstreamLoginException(SqlStates.SqlServerRejectedEstablishmentOfConnection,
                $"the upstream server {upstream.Host}:{upstream.Port} does not let the gateway log in (SQLSTATE {sqlState}: {words}); "
                + "an administrator must fix the connection's upstream settings (its tls, or the server's pg_hba.conf or role)");
        }

        return new UpstreamLoginException(sqlState.Length == 5 ? sqlState : SqlStates.ConnectionFailure,
            $"the upstream server refused the connection: {words}");
    }

    private sealed class LoginState(UpstreamPolicy upstream)
    {
        public UpstreamPolicy Upstream { get; } = upstream;

        public ScramStep? Scram { get; set; }

        public bool Authenticated { get; set; }

        public bool Ready { get; set; }
    }

    private sealed class ScramStep(ScramSha256Client client)
    {
        public ScramSha256Client Client { get; } = client;

        public bool Completed { get; set; }
    }
}
