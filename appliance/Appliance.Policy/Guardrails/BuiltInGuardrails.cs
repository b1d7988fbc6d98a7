using Appliance.Policy.Configuration;

namespace Appliance.Policy.Guardrails;

/// <summary>
/// Rules every connection has, whatever its policy says. Everyone with a grant on a connection
/// shares its one upstream role, and PostgreSQL lets any role change its own password and
/// settings: one person's <c>ALTER ROLE … PASSWORD</c> (psql's <c>\password</c>) would lock
/// everyone else out and leave them a credential that outlives their grant and bypasses the
/// gateway; an <c>ALTER ROLE … SET client_encoding</c> or <c>statement_timeout</c> would change
/// every later session. So role and database administration is refused on every connection,
/// as a block rule (recorded, and a <c>guardrail.blocked</c> event), which also makes a statement
/// the engine cannot read fail closed everywhere. For the same reason PostgreSQL lets any session
/// signal the others of its role: <c>pg_terminate_backend</c> and <c>pg_cancel_backend</c> would let
/// one person end or cancel another's session (probe AM), so they are refused too.
/// </summary>
internal static class BuiltInGuardrails
{
    public const string UpstreamRoleName = "upstream-role";

    public static readonly GuardrailRule UpstreamRole = new()
    {
        Name = UpstreamRoleName,
        Statements =
        [
            "ALTER ROLE", "ALTER USER", "ALTER GROUP", "CREATE ROLE", "CREATE USER", "CREATE GROUP",
            "DROP ROLE", "DROP USER", "DROP GROUP", "ALTER DATABASE", "ALTER SYSTEM", "GRANT ROLE", "REVOKE ROLE",
            "ALTER DEFAULT PRIVILEGES", "REASSIGN", "SECURITY",
        ],
        Action = GuardrailAction.Block,
        Message = "Roles and database settings are not administered through the gateway: everyone with a grant on this "
            + "connection shares its upstream role, so a password or setting changed here would change it for all of them.",
    };

    public const string OtherSessionsName = "other-sessions";

    /// <summary>
    /// Named anywhere in a statement's text, nested bodies and dynamic SQL's strings included;
    /// SQL computed at run time is unreadable and refused by every rule.
    /// </summary>
    public static readonly GuardrailRule OtherSessions = new()
    {
        Name = OtherSessionsName,
        Regex = @"\bpg_(terminate|cancel)_backend\b",
        Action = GuardrailAction.Block,
        Message = "Sessions are not signalled through the gateway: everyone with a grant on this connection shares its upstream "
            + "role, so pg_terminate_backend or pg_cancel_backend could end or cancel another person's session. "
            + "Cancel your own statement from your client (Ctrl-C in psql).",
    };

    public const string SessionEndName = "session-end";

    /// <summary>
    /// The gateway logs in upstream with <c>client_connection_check_interval</c> set, so that a
    /// statement of a session it cuts (its grant ended) stops within a second even where the
    /// backend cannot be ended by name and the statement catches the cancel (probe BI1). A session
    /// that turned it off would run on past its grant's end; so would a prepared transaction. What
    /// this rule refuses: SqlClassifier.SessionEnd.cs.
    /// </summary>
    public static readonly GuardrailRule SessionEnd = new()
    {
        Name = SessionEndName,
        Statements = [Sql.SqlClassifier.OutlivesSession],
        Action = GuardrailAction.Block,
        Message = "Nothing outlives a session through the gateway: no prepared transaction (PREPARE TRANSACTION, COMMIT or ROLLBACK PREPARED), "
            + "and client_connection_check_interval is named only by SHOW, set_config takes a setting's name only as a literal, and no view or "
            + "rule is made over pg_settings: the gateway sets that setting so that the statement of a session it ends (its grant ended) stops at once.",
    };

    public const string ServerFilesName = "server-files";

    /// <summary>
    /// The server's own files and programs (SqlClassifier.ServerFiles.cs): a file written there
    /// changes its configuration as <c>ALTER SYSTEM</c> would (probe EB4: <c>lo_export</c> over
    /// <c>postgresql.auto.conf</c>), one read returns table data beneath masking, and a program
    /// run by COPY does anything (EB3). A role allowed them (a superuser, <c>pg_read_server_files</c>,
    /// <c>pg_write_server_files</c>, <c>pg_execute_server_program</c>) reaches past every rule.
    /// </summary>
    public static readonly GuardrailRule ServerFiles = new()
    {
        Name = ServerFilesName,
        Statements = [Sql.SqlClassifier.ServerFiles],
        Action = GuardrailAction.Block,
        Message = "The database server's files, programs and raw pages are not reached through the gateway (COPY to or from a file or a program, "
            + "file_fdw's program and filename, lo_import, lo_export, pg_read_file, pg_ls_dir, adminpack's file functions, pageinspect's "
            + "get_raw_page, WAL and logical decoding readers): no rule could be enforced on what they do or read. "
            + "COPY to STDOUT or from STDIN goes through the client.",
    };

    public const string OperatorsName = "operators";

    /// <summary>
    /// PostgreSQL picks the operator whose argument types match best, from any schema: an
    /// always-true <c>=(varchar, varchar)</c> in a schema named like the connection's role made
    /// everyone's <c>UPDATE … WHERE code = 'c5'</c> update every row, unreviewed, since the
    /// guardrails read = as equality (probe EK1). Everyone with a grant shares the role, so an
    /// operator made here changes other people's statements.
    /// </summary>
    public static readonly GuardrailRule Operators = new()
    {
        Name = OperatorsName,
        Statements = ["CREATE OPERATOR", "ALTER OPERATOR"],
        Action = GuardrailAction.Block,
        Message = "Operators are not created or changed through the gateway: everyone with a grant on this connection shares its upstream role, "
            + "and a new operator can change what = means in their statements, which the guardrails read as equality.",
    };

    public const string SystemCatalogsName = "system-catalogs";

    /// <summary>
    /// A write to a system catalog renames a function, repoints a foreign table or changes anything
    /// else under every rule (probe EJ1: UPDATE pg_proc renamed dblink_exec, which then dropped a
    /// table). Found by the classifier (SqlClassifier.ServerFiles.cs), in bodies and WITH queries too.
    /// </summary>
    public static readonly GuardrailRule SystemCatalogs = new()
    {
        Name = SystemCatalogsName,
        Statements = [Sql.SqlClassifier.CatalogWrite],
        Action = GuardrailAction.Block,
        Message = "System catalogs are not written through the gateway: a change there (a function renamed, a foreign table repointed) "
            + "would change what statements do under every rule.",
    };

    /// <summary>The names configured rules cannot take.</summary>
    public static readonly IReadOnlyList<string> Names = [UpstreamRoleName, OtherSessionsName, ServerFilesName, OperatorsName, SystemCatalogsName, SessionEndName];

    /// <summary>The rules a connection's engine runs: the built-in ones first, then the configured ones.</summary>
    public static IReadOnlyList<GuardrailRule> With(IReadOnlyList<GuardrailRule> configured) =>
        [UpstreamRole, OtherSessions, ServerFiles, Operators, SystemCatalogs, SessionEnd, .. configured];
}
