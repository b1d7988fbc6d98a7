namespace Appliance.Gateway.Postgres;

/// <summary>The PostgreSQL gateway's log messages. Never a password, a token or an upstream credential.</summary>
internal static partial class Log
{
    [LoggerMessage(3001, LogLevel.Information, "Session {SessionId} started: {User} on {Connection} under grant {GrantId} from {ClientAddress}")]
    public static partial void SessionStarted(ILogger logger, string sessionId, string user, string connection, string grantId, string clientAddress);

    [LoggerMessage(3002, LogLevel.Information, "Session {SessionId} ended: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string sessionId, string reason);

    [LoggerMessage(3003, LogLevel.Information, "Session {SessionId} cut: {Reason}")]
    public static partial void SessionCut(ILogger logger, string sessionId, string reason);

    [LoggerMessage(3004, LogLevel.Warning, "Login refused for {User} to {Database} from {ClientAddress} (SQLSTATE {SqlState})")]
    public static partial void LoginRefused(ILogger logger, string clientAddress, string user, string database, string sqlState);

    [LoggerMessage(3005, LogLevel.Warning, "Plaintext login refused for {User} from {ClientAddress}: TLS is required")]
    public static partial void PlaintextRefused(ILogger logger, string clientAddress, string user);


    [LoggerMessage(3007, LogLevel.Debug, "Logged in upstream to {Upstream} as backend {ProcessId} (TLS {Tls})")]
    public static partial void UpstreamLoggedIn(ILogger logger, string upstream, int processId, bool tls);

    [LoggerMessage(3008, LogLevel.Warning, "Protocol error from client {ClientAddress}: {Reason}")]
    public static partial void ClientProtocolError(ILogger logger, string clientAddress, string reason);

    [LoggerMessage(3009, LogLevel.Information, "Client {ClientAddress} left during startup: {Reason}")]
    public static partial void ClientLeftDuringStartup(ILogger logger, string clientAddress, string reason);

    [LoggerMessage(3010, LogLevel.Warning, "Client {ClientAddress} did not finish the startup in time")]
    public static partial void StartupTimedOut(ILogger logger, string clientAddress);

    [LoggerMessage(3011, LogLevel.Warning, "Upstream protocol error in session {SessionId}: {Reason}")]
    public static partial void UpstreamProtocolError(ILogger logger, string sessionId, string reason);

    [LoggerMessage(3012, LogLevel.Error, "Relay of session {SessionId} failed")]
    public static partial void RelayFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(3013, LogLevel.Information, "Session {SessionId}: statement blocked by guardrail {Rule}")]
    public static partial void StatementBlocked(ILogger logger, string sessionId, string rule);

    [LoggerMessage(3014, LogLevel.Information, "Session {SessionId}: statement held by guardrail {Rule} for up to {Hold}")]
    public static partial void StatementHeld(ILogger logger, string sessionId, string rule, TimeSpan hold);

    [LoggerMessage(3015, LogLevel.Error, "Session {SessionId}: the command review could not be opened")]
    public static partial void ReviewFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(3016, LogLevel.Error, "Session {SessionId}: the guardrail event of rule {Rule} could not be written")]
    public static partial void GuardrailEventFailed(ILogger logger, string sessionId, string rule, Exception exception);

    [LoggerMessage(3017, LogLevel.Error, "Session {SessionId}: strict audit could not record a statement, which was refused")]
    public static partial void StrictAuditFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(3033, LogLevel.Error, "Session {SessionId}: strict audit could not record the session's start, so the login was refused")]
    public static partial void StrictAuditStartFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(3060, LogLevel.Error, "Session {SessionId}: the audit log's writes are failing, so the login was refused")]
    public static partial void AuditFailingLoginRefused(ILogger logger, string sessionId);

    [LoggerMessage(3018, LogLevel.Information, "Cancel request for session {SessionId} from {ClientAddress} forwarded upstream")]
    public static partial void CancelForwarded(ILogger logger, string sessionId, string clientAddress);

    [LoggerMessage(3019, LogLevel.Information, "Cancel request from {ClientAddress} for unknown process {ProcessId} or with a wrong key ignored")]
    public static partial void CancelIgnored(ILogger logger, string clientAddress, int processId);

    [LoggerMessage(3020, LogLevel.Warning, "Cancel request for session {SessionId} could not be sent upstream: {Reason}")]
    public static partial void CancelFailed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(3021, LogLevel.Information, "Grant {GrantId} is {Status}: cutting {Count} session(s)")]
    public static partial void GrantEndedSessions(ILogger logger, string grantId, string status, int count);

    [LoggerMessage(3027, LogLevel.Information, "Session {SessionId}: its login token {TokenId} was revoked or expired; cutting it")]
    public static partial void TokenEndedSession(ILogger logger, string sessionId, string tokenId);

    [LoggerMessage(3034, LogLevel.Warning, "Session {SessionId} was ended in the store by another gateway, which took this one for dead (it was paused or could not reach the store); cutting it")]
    public static partial void SessionEndedElsewhere(ILogger logger, string sessionId);

    [LoggerMessage(3028, LogLevel.Warning, "Checking the login tokens and grants of live sessions failed; the next sweep tries again")]
    public static partial void StoreCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(3022, LogLevel.Information, "Catalog of connection {Connection} now knows {Relations} relations")]
    public static partial void CatalogLoaded(ILogger logger, string connection, int relations);

    [LoggerMessage(3066, LogLevel.Debug, "Catalog of connection {Connection}: {Functions} function name(s) may return a masked column, and count as naming one")]
    public static partial void CatalogFunctions(ILogger logger, string connection, int functions);

    [LoggerMessage(3061, LogLevel.Warning, "The login catalog read of connection {Connection} took {Milliseconds} ms: every login of it waits that long (a database of many relations, views or composite types, or a busy server)")]
    public static partial void CatalogSlow(ILogger logger, string connection, long milliseconds);

    [LoggerMessage(3062, LogLevel.Information, "Session {SessionId} was cut while upstream backend {ProcessId} still ran its statement: the backend was ended")]
    public static partial void UpstreamBackendTerminated(ILogger logger, string sessionId, int processId);

    [LoggerMessage(3063, LogLevel.Warning, "Session {SessionId} was cut, but its upstream backend {ProcessId} could not be ended: {Reason}")]
    public static partial void UpstreamTerminateFailed(ILogger logger, string sessionId, int processId, string reason);

    [LoggerMessage(3064, LogLevel.Warning, "Upstream {Upstream} refused the startup setting client_connection_check_interval ({Reason}): its sessions are logged in without it, and a cut session's backend is ended only by pg_terminate_backend")]
    public static partial void ConnectionCheckRefused(ILogger logger, string upstream, string reason);

    [LoggerMessage(3065, LogLevel.Error, "Ending a cut session's upstream backend failed")]
    public static partial void CutBackendFailed(ILogger logger, Exception exception);

    [LoggerMessage(3023, LogLevel.Warning, "The catalog query for column masking failed ({Reason}); unknown columns are masked by name only")]
    public static partial void CatalogFailed(ILogger logger, string reason);

    [LoggerMessage(3024, LogLevel.Warning, "Generated a self-signed TLS certificate for the PostgreSQL listener at {Path} (thumbprint {Thumbprint})")]
    public static partial void CertificateGenerated(ILogger logger, string path, string thumbprint);

    [LoggerMessage(3025, LogLevel.Error, "PostgreSQL connection {ConnectionId} failed")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(3026, LogLevel.Error, "A handler on event loop {Loop} failed")]
    public static partial void LoopHandlerFailed(ILogger logger, string loop, Exception exception);

    [LoggerMessage(3031, LogLevel.Information, "Session {SessionId}: the statement held for review {ReviewId} was abandoned ({Why})")]
    public static partial void HoldAbandoned(ILogger logger, string sessionId, string reviewId, string why);

    [LoggerMessage(3030, LogLevel.Information, "Cancel request for session {SessionId} from {ClientAddress} ended its review hold")]
    public static partial void CancelEndedHold(ILogger logger, string sessionId, string clientAddress);

    [LoggerMessage(3029, LogLevel.Warning, "Connection from {ClientAddress} refused before its handshake: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, string clientAddress, string reason);

    [LoggerMessage(3032, LogLevel.Warning, "Session {SessionId}: {User} on {Connection} under grant {GrantId} from {ClientAddress} was refused by the upstream: {Reason}")]
    public static partial void LoginRefusedUpstream(ILogger logger, string sessionId, string user, string connection, string grantId, string? clientAddress, string reason);
}
