using System.Text;
using Appliance.Policy.Sql;
using Appliance.Wire.Backend;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// SQL cursors on connections with column rules. A FETCH's rows come from the cursor's query,
/// but its own text names no column, and masking reads the statement text to decide about
/// computed columns (<c>upper(ssn)</c>). So the session remembers each cursor's DECLARE and plans
/// a simple-Query FETCH with it; a FETCH from a cursor it never saw declared (one a function
/// opened) is planned with no text, which masks computed columns whole (fail closed), and so is
/// every FETCH in the extended protocol, whose prepared text may outlive the cursor. psql's
/// <c>FETCH_COUNT</c> runs every query through a cursor. Client side only.
/// </summary>
internal sealed partial class PgSession
{
    private Dictionary<string, (string Query, bool WithHold)>? _cursors;

    /// <summary>
    /// Cursors may be open: a cursor's query runs at MOVE, FETCH, and at COMMIT for one WITH HOLD,
    /// and its errors answer those statements, which name nothing. While any may be open, errors
    /// and notices are withheld as for a statement naming a masked column (read by the upstream side).
    /// </summary>
    private volatile bool _holdsCursors;

    /// <summary>A WITH HOLD cursor was declared: it may live on after its name is forgotten, so errors stay withheld.</summary>
    private bool _heldCursorMayLive;

    /// <summary>The text a simple Query's results are planned with (null: no column rules, none needed).</summary>
    private byte[]? ResultTextOfQuery(ReadOnlySpan<byte> sql)
    {
        if (!_runtime.Masker.HasColumnRules)
        {
            return null;
        }

        var fetched = FetchedCursors(sql, out var text);
        if (fetched is null)
        {
            return [];
        }

        if (fetched.Count == 0)
        {
            return sql.ToArray();
        }

        // The Query's other statements, then the queries of the cursors it fetches from.
        var planned = new StringBuilder(SqlCursors.WithoutFetches(text!));
        foreach (var name in fetched)
        {
            if (_cursors is null || !_cursors.TryGetValue(name, out var cursor))
            {
                return [];
            }

            planned.Append(cursor.Query).Append(";\n");
        }

        return Encoding.UTF8.GetBytes(planned.ToString());
    }

    /// <summary>A Parse's text: the cursors it declares are remembered; true when it fetches (planned without text).</summary>
    private bool ParseFetches(ReadOnlySpan<byte> sql) =>
        _runtime.Masker.HasColumnRules && FetchedCursors(sql, out _) is not { Count: 0 };

    /// <summary>
    /// Follows the cursors <paramref name="sql"/> declares, and names those it fetches from (or
    /// moves in): empty when none, null when one cannot be read. <paramref name="text"/> is the
    /// decoded text when it was read.
    /// </summary>
    private List<string>? FetchedCursors(ReadOnlySpan<byte> sql, out string? text)
    {
        ForgetEndedCursors();
        text = null;
        if (_cursors is not { Count: > 0 } && !MayTouchCursors(sql))
        {
            return [];
        }

        text = Encoding.UTF8.GetString(sql);
        TrackCursors(text);
        return SqlCursors.Fetched(text);
    }

    /// <summary>A cheap look before the lexer, while no cursor is known: only these words declare, fetch from or move one.</summary>
    private static bool MayTouchCursors(ReadOnlySpan<byte> sql) =>
        ContainsWord(sql, "fetch"u8) || ContainsWord(sql, "declare"u8) || ContainsWord(sql, "move"u8);

    /// <summary>
    /// Follows the cursors a text declares. A name declared again keeps what it held before as
    /// well: PostgreSQL may have refused the new DECLARE (the name exists, the query fails, a
    /// savepoint rolled it back), and the gateway sees the text, not the outcome, so the FETCH is
    /// planned with every query the name may hold (masking more, never less). A name is forgotten
    /// wherever its cursor may have been closed or another portal opened under it
    /// (SqlCursors.Changes), and a forgotten name fails closed.
    /// </summary>
    private void TrackCursors(string text)
    {
        foreach (var change in SqlCursors.Changes(text))
        {
            switch (change.Kind)
            {
                case CursorChangeKind.Declare:
                    var cursors = _cursors ??= new(StringComparer.Ordinal);
                    cursors[change.Name!] = cursors.TryGetValue(change.Name!, out var earlier)
                        ? (earlier.Query + ";\n" + change.Query, earlier.WithHold || change.WithHold)
                        : (change.Query!, change.WithHold);
                    _holdsCursors = true;
                    _heldCursorMayLive |= change.WithHold;
                    break;
                case CursorChangeKind.Fetch when _cursors is { } known:
                    foreach (var name in known.Keys)
                    {
                        if (name != change.Name)
                        {
                            known.Remove(name);
                        }
                    }

                    break;
                case CursorChangeKind.ForgetAll:
                    _cursors?.Clear();
                    break;
            }
        }
    }

    /// <summary>An Execute: whatever runs may close cursors and open portals under their names.</summary>
    private void ForgetCursors() => _cursors?.Clear();

    /// <summary>A Bind of a named portal: a cursor of that name is closed or the Bind fails; either way its query is not known.</summary>
    private void ForgetCursor(ReadOnlySpan<byte> portal)
    {
        if (_cursors is { Count: > 0 } known && !portal.IsEmpty)
        {
            known.Remove(Encoding.UTF8.GetString(portal));
        }
    }

    /// <summary>Outside a transaction only WITH HOLD cursors live on.</summary>
    private void ForgetEndedCursors()
    {
        if (_cursors is not { Count: > 0 } known || _lastStatus != TransactionStatus.Idle)
        {
            return;
        }

        foreach (var (name, cursor) in known)
        {
            if (!cursor.WithHold)
            {
                known.Remove(name);
            }
        }

        _holdsCursors = known.Count > 0 || _heldCursorMayLive;
    }
}
