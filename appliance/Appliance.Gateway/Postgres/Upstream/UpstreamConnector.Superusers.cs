using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Policy.Configuration;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Upstream;

internal sealed partial class UpstreamConnector
{
    /// <summary>
    /// The first superuser role the logged-in role may become, if any: any member may SET ROLE to
    /// it or run code as it (a function's <c>SET role</c> clause, an owner changed to it with
    /// SECURITY DEFINER), and a role set and reset within one write, or only inside a function,
    /// never shows in the server's <c>is_superuser</c> report (probe FA1, FA2). The client's own
    /// <c>statement_timeout</c> (a startup option) must not cut it: SET LOCAL lasts as long as the
    /// query string's implicit transaction (as ColumnCatalogs does). The role asked about is the
    /// one the gateway logged in as, not the one the session acts as: a role setting (the role's
    /// default, or <c>-c role=…</c> in the client's options) would otherwise answer for it, and
    /// <c>SET ROLE NONE</c> goes back to the login role (probe GA1, GA2).
    /// </summary>
    private const string SuperuserMembershipQuery =
        "SET LOCAL statement_timeout = 0; SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.rolsuper AND pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER') LIMIT 1";

    /// <summary>
    /// Refuses the session when the connection's role is a member of a superuser role, unless
    /// the connection allows superusers: the check the server's <c>is_superuser</c> report cannot
    /// make. It costs the login one round trip; the answer is not kept, since a membership can be
    /// granted at any time outside the gateway.
    /// </summary>
    private static void RefuseSuperuserMembership(UpstreamConnection connection, UpstreamPolicy upstream, OutputBuffer output)
    {
        if (upstream.AllowSuperuser)
        {
            return;
        }

        var answer = QueryFirstValue(connection, output, SuperuserMembershipQuery, "the login's role check");
        if (answer.SqlState == "57014")
        {
            // A client's statement_timeout of a millisecond or so can fire on the SET LOCAL that
            // lifts it, on a busy server (seen under the test suite's load): asked once more.
            answer = QueryFirstValue(connection, output, SuperuserMembershipQuery, "the login's role check");
        }

        if (answer.Error is { } error)
        {
            // A server that cannot say (not PostgreSQL, no pg_roles) gets no session: the check fails closed.
            throw new UpstreamLoginException(SqlStates.InsufficientPrivilege,
                "the gateway could not check whether its upstream role can become a PostgreSQL superuser: " + error);
        }

        if (answer.HasRow)
        {
            throw new UpstreamLoginException(SqlStates.InsufficientPrivilege, Superusers.MembershipRefusal(answer.Value ?? "?"));
        }
    }

    /// <summary>What a one-value query answered: whether a row came, its first value (null for SQL NULL), or its error.</summary>
    private readonly record struct QueryAnswer(bool HasRow, string? Value, string? SqlState, string? Error);

    /// <summary>
    /// Runs a simple query on a connection the gateway opened for itself and reads its answer to
    /// ReadyForQuery: the first value of its first row, or its error. Other messages than a query's
    /// answer are a protocol violation.
    /// </summary>
    private static QueryAnswer QueryFirstValue(UpstreamConnection connection, OutputBuffer output, string sql, string during)
    {
        FrontendWriter.WriteQuery(output, sql);
        output.FlushTo(connection.Stream);
        var answer = new QueryAnswer(false, null, null, null);
        while (true)
        {
            var length = ReadMessage(connection.Stream, connection.Input, MaxLoginMessageLength, during);
            connection.Input.TryRead(MaxLoginMessageLength, out var frame);
            switch ((BackendMessageType)frame.Type)
            {
                case BackendMessageType.DataRow when !answer.HasRow:
                    foreach (var column in DataRowMessage.Parse(frame.Body).Columns)
                    {
                        answer = answer with { HasRow = true, Value = column.IsNull ? null : System.Text.Encoding.UTF8.GetString(column.Bytes) };
                        break;
                    }

                    break;
                case BackendMessageType.ErrorResponse:
                    var error = ErrorOrNoticeMessage.Parse(frame.Body);
                    answer = answer with
                    {
                        SqlState = System.Text.Encoding.ASCII.GetString(error.SqlState),
                        Error = System.Text.Encoding.UTF8.GetString(error.Message),
                    };
                    break;
                case BackendMessageType.ReadyForQuery:
                    connection.Status = ReadyForQueryMessage.Parse(frame.Body).Status;
                    connection.Input.Consume(length);
                    return answer;
                case BackendMessageType.DataRow or BackendMessageType.RowDescription or BackendMessageType.CommandComplete
                    or BackendMessageType.NoticeResponse or BackendMessageType.ParameterStatus:
                    break;
                default:
                    throw new UpstreamLoginException(SqlStates.ProtocolViolation,
                        $"the upstream server sent message type {PgProtocolException.DescribeType(frame.Type)} during {during}");
            }

            connection.Input.Consume(length);
        }
    }
}
