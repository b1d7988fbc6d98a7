using Appliance.Gateway.Audit;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Wire;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// A session that switches to a client encoding the gateway cannot read is cut when the server
/// reports the switch (PgSession.Backend.cs). A statement sent right behind the switch, before
/// the report, would be read by PostgreSQL in that encoding while the gateway judged it as
/// ASCII-safe text: <c>SET client_encoding TO 'BIG5'</c> and <c>SELECT E'\x81\x5c'; DROP …</c> in
/// one write ran the DROP (probe DB-1). So a statement whose bytes could read differently there
/// is judged only once everything ahead of it has been answered, the report included. In an
/// extended batch the server reports only at Sync: after a statement of the batch ran, such a
/// text is refused.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>
    /// The statements executed since the last Sync, each with whether its portal is a named one of
    /// an earlier batch: a setting one changed is reported only at Sync. Read only when a later
    /// text of the batch could read differently, so the classification stays off the hot path.
    /// </summary>
    private readonly List<(StatementInfo Statement, bool Stale)> _executedInBatch = [];

    /// <summary>The client_encoding the server last reported: set by the upstream thread, read once everything ahead is answered.</summary>
    private volatile string _clientEncoding;

    /// <summary>Syncs and Queries the client sent: a batch's number. A transaction's end drops its portals.</summary>
    private long _batch;

    /// <summary>
    /// Whether what ran in this batch may have changed client_encoding: a statement that may (not
    /// BEGIN, not SET of another setting: probe DH, pgjdbc's BEGIN before every transaction's first
    /// statement), or a named portal bound in an earlier batch, which may be gone (a transaction's
    /// end drops it) and its name now a SQL cursor's running anything (probe DO-2).
    /// </summary>
    private bool EncodingMayHaveChangedInBatch() => _executedInBatch.Exists(e => e.Stale || e.Statement.MayChangeClientEncoding);

    /// <summary>character_not_in_repertoire, PostgreSQL's for a byte sequence invalid in the client encoding.</summary>
    private const string CharacterNotInRepertoire = "22021";

    private const string EncodingUnknownInBatch =
        "statement refused: its text has non-ASCII characters next to ASCII letters or digits, or in a name, and a statement before it in the same batch ran that "
        + "may change client_encoding (PostgreSQL reports that only at Sync), so the gateway cannot be sure how PostgreSQL will read it; send it after a Sync";

    private const string NotUtf8 =
        "statement refused: its text is not valid UTF-8; the gateway reads statements as UTF-8, and two texts it cannot tell apart "
        + "(names, aliases) would be two different ones to PostgreSQL in another client_encoding; send it in UTF8";

    /// <summary>A refusal, or null when the statement can be judged in the encoding the gateway knows (after waiting for the answers ahead, when needed).</summary>
    private byte[]? EncodingRefusal(ReadOnlySpan<byte> sql)
    {
        if (System.Text.Ascii.IsValid(sql))
        {
            // ASCII reads the same in every encoding the gateway accepts: one scan on the hot path.
            return null;
        }

        if (!System.Text.Unicode.Utf8.IsValid(sql))
        {
            // UTF-8 decoding turns every invalid byte into U+FFFD: in a LATIN1 session "\xfe" and
            // "\xff" are two names (of prepared statements, cursors, columns) to PostgreSQL and one
            // to the gateway (probe EA-1). A UTF8 session's server refuses such text itself (22021).
            RecordRefused(MaskSql(sql), StatementRecord.Blocked, NotUtf8, null);
            return LocalMessages.Error(CharacterNotInRepertoire, NotUtf8);
        }

        if (!ClientEncodings.MayReadDifferently(sql))
        {
            // Non-ASCII text only in strings and comments is data in every encoding.
            return null;
        }

        if (EncodingMayHaveChangedInBatch())
        {
            RecordRefused(MaskSql(sql), StatementRecord.Blocked, EncodingUnknownInBatch, null);
            return LocalMessages.Error(SqlStates.FeatureNotSupported, EncodingUnknownInBatch);
        }

        // What this read brought before it may still be staged here, not yet sent.
        var answered = _staged.Count == 0;
        lock (_gate)
        {
            answered &= _pending.IsEmpty;
        }

        if (!answered)
        {
            if (!OnThreads)
            {
                // Waiting blocks; a loop serves other sessions. Before anything of this message is staged.
                throw new MigrationRequired();
            }

            // A switch reported meanwhile cuts the session: then nothing more goes upstream.
            if (!WaitForAnswersAhead(TimeSpan.MaxValue) || IsStopping)
            {
                return LocalMessages.Error(SqlStates.QueryCanceled, "the session ended before the statement could be checked");
            }
        }

        return ReadsAsUtf8(_clientEncoding) ? null : NonAsciiRefusal(sql, _clientEncoding);
    }

    /// <summary>
    /// UTF8, or SQL_ASCII (no conversion: the server checks the bytes as its own encoding's).
    /// Elsewhere the same bytes are other characters, other lengths: a name cut at 63 bytes is cut
    /// elsewhere, two names the gateway tells apart are one (probe EF).
    /// </summary>
    private static bool ReadsAsUtf8(string encoding) =>
        encoding.Equals("UTF8", StringComparison.OrdinalIgnoreCase) || encoding.Equals("SQL_ASCII", StringComparison.OrdinalIgnoreCase);

    private byte[] NonAsciiRefusal(ReadOnlySpan<byte> sql, string encoding)
    {
        var message = $"statement refused: it has non-ASCII text, and in client_encoding {encoding} PostgreSQL reads those bytes as other characters than "
            + "the gateway, which reads statements as UTF-8; set client_encoding to UTF8 for non-ASCII text";
        RecordRefused(MaskSql(sql), StatementRecord.Blocked, message, null);
        return LocalMessages.Error(SqlStates.FeatureNotSupported, message);
    }

    /// <summary>
    /// Sends what the client sent before (its expected answers published first), asks the upstream
    /// to answer it (a Flush: extended messages are answered only when flushed), and waits until
    /// everything is answered: true then; false when the session ends (or the upstream ended it), the client goes away or
    /// <paramref name="atMost"/> passes first.
    /// </summary>
    /// <param name="enough">Checked under the lock: true ends the wait early, as answered.</param>
    private bool WaitForAnswersAhead(TimeSpan atMost, Func<bool>? enough = null)
    {
        Flush();
        Appliance.Wire.Writing.FrontendWriter.WriteFlush(_upstreamOut);
        SendUpstream();
        var since = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            lock (_gate)
            {
                // An upstream FATAL (an unreadable encoding reported) ends the session: nothing more goes upstream.
                if (_upstreamFatal)
                {
                    return false;
                }

                if (_pending.IsEmpty || enough?.Invoke() == true)
                {
                    return true;
                }
            }

            if (IsStopping || ClientHasGone() || System.Diagnostics.Stopwatch.GetElapsedTime(since) > atMost)
            {
                return false;
            }

            Thread.Sleep(1);
        }
    }
}
