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
/// <c>FETCH_COUNT</c> runs every query through a cursor. A DECLARE is learnt only once PostgreSQL
/// answered it with its CommandComplete, in a simple Query: one it refused (its name was still open
/// under a query the gateway had forgotten, probe JA1), or a Parse of one (never executed, or
/// executed where anything may run between Parse and Execute, JA2), teaches nothing. Client side,
/// but for the answers the upstream side queues.
/// </summary>
internal sealed partial class PgSession
{
    private Dictionary<string, (string Query, bool WithHold)>? _cursors;

    /// <summary>DECLAREs PostgreSQL answered, queued by the upstream side, learnt at the client side's next look.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<CursorDeclares.Answered> _answeredDeclares = new();

    /// <summary>Counts the client side's cursor events: an answered DECLARE is learnt only if no name was forgotten after its text was read.</summary>
    private long _cursorClock;

    private long _cursorsForgotAt;

    /// <summary>The DECLAREs of the simple Query being staged, for its pending entry.</summary>
    private CursorDeclares? _queryDeclares;

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

        var fetched = FetchedCursors(sql, learn: true, out var text);
        try
        {
            if (fetched is null)
            {
                return [];
            }

            if (fetched.Count == 0)
            {
                return sql.ToArray();
            }

            // The Query's other statements, then the queries of the cursors it fetches from: its
            // own DECLAREs among them (if one fails, the FETCHes after it do not run).
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
        finally
        {
            // Learnt for later Queries only once PostgreSQL answers them.
            _queryDeclares?.Unlearn(_cursors!);
        }
    }

    /// <summary>The DECLAREs of the Query just planned, for its pending entry (the upstream side confirms them).</summary>
    private CursorDeclares? TakeQueryDeclares()
    {
        var declares = _queryDeclares;
        _queryDeclares = null;
        return declares;
    }

    /// <summary>Upstream side: a simple Query's CommandComplete "DECLARE CURSOR" answers its next DECLARE.</summary>
    private void OnDeclareAnswered(ReadOnlySpan<byte> tag, CursorDeclares? declares)
    {
        if (declares is not null && tag.SequenceEqual("DECLARE CURSOR"u8) && declares.Next() is { } answered)
        {
            _answeredDeclares.Enqueue(answered);
        }
    }

    /// <summary>A Parse's text: the cursors it may close are forgotten; true when it fetches (planned without text).</summary>
    private bool ParseFetches(ReadOnlySpan<byte> sql) =>
        _runtime.Masker.HasColumnRules && FetchedCursors(sql, learn: false, out _) is not { Count: 0 };

    /// <summary>
    /// Follows the cursors <paramref name="sql"/> declares (for this text's own planning, when
    /// <paramref name="learn"/>), and names those it fetches from (or moves in): empty when none,
    /// null when one cannot be read. <paramref name="text"/> is the decoded text when it was read.
    /// </summary>
    private List<string>? FetchedCursors(ReadOnlySpan<byte> sql, bool learn, out string? text)
    {
        LearnAnsweredDeclares();
        ForgetEndedCursors();
        text = null;
        if (_cursors is not { Count: > 0 } && !MayTouchCursors(sql))
        {
            return [];
        }

        text = Encoding.UTF8.GetString(sql);
        TrackCursors(text, learn);
        return SqlCursors.Fetched(text);
    }

    /// <summary>A cheap look before the lexer, while no cursor is known: only these words declare, fetch from or move one.</summary>
    private static bool MayTouchCursors(ReadOnlySpan<byte> sql) =>
        ContainsWord(sql, "fetch"u8) || ContainsWord(sql, "declare"u8) || ContainsWord(sql, "move"u8);

    /// <summary>
    /// Follows what a text does to the cursors. A name declared again keeps what it held before
    /// as well, for this text's own FETCHes. A name is forgotten wherever its cursor may have been
    /// closed or another portal opened under it (SqlCursors.Changes), and a forgotten name fails
    /// closed. Each DECLARE is noted in <see cref="_queryDeclares"/> (when <paramref name="learn"/>),
    /// with whether its name was still known at the text's end.
    /// </summary>
    private void TrackCursors(string text, bool learn)
    {
        foreach (var change in SqlCursors.Changes(text))
        {
            switch (change.Kind)
            {
                case CursorChangeKind.Declare:
                    _holdsCursors = true;
                    _heldCursorMayLive |= change.WithHold;
                    if (!learn)
                    {
                        break;
                    }

                    var cursors = _cursors ??= new(StringComparer.Ordinal);
                    (string Query, bool WithHold)? before = cursors.TryGetValue(change.Name!, out var earlier) ? earlier : null;
                    cursors[change.Name!] = before is { } previous
                        ? (previous.Query + ";\n" + change.Query, previous.WithHold || change.WithHold)
                        : (change.Query!, change.WithHold);
                    (_queryDeclares ??= new CursorDeclares()).Add(change, before);
                    break;
                case CursorChangeKind.Fetch when _cursors is { } known:
                    foreach (var name in known.Keys)
                    {
                        if (name != change.Name)
                        {
                            known.Remove(name);
                        }
                    }

                    _queryDeclares?.ForgetAllBut(change.Name!);
                    Forgotten();
                    break;
                case CursorChangeKind.ForgetAll:
                    _cursors?.Clear();
                    _queryDeclares?.ForgetAllBut(null);
                    Forgotten();
                    break;
            }
        }

        _queryDeclares?.Stamp(_cursorClock);
    }

    /// <summary>Names were forgotten: a DECLARE read before now and answered after is not learnt.</summary>
    private void Forgotten() => _cursorsForgotAt = ++_cursorClock;

    /// <summary>The DECLAREs PostgreSQL answered since the last look, unless a name was forgotten after their text was read.</summary>
    private void LearnAnsweredDeclares()
    {
        while (_answeredDeclares.TryDequeue(out var answered))
        {
            if (answered.Stamp >= _cursorsForgotAt)
            {
                (_cursors ??= new(StringComparer.Ordinal))[answered.Name] = (answered.Query, answered.WithHold);
            }
        }
    }

    /// <summary>An Execute: whatever runs may close cursors and open portals under their names.</summary>
    private void ForgetCursors()
    {
        _cursors?.Clear();
        Forgotten();
    }

    /// <summary>A Bind of a named portal: a cursor of that name is closed or the Bind fails; either way its query is not known.</summary>
    private void ForgetCursor(ReadOnlySpan<byte> portal)
    {
        if (portal.IsEmpty)
        {
            return;
        }

        _cursors?.Remove(Encoding.UTF8.GetString(portal));
        Forgotten();
    }

    /// <summary>
    /// Outside a transaction only WITH HOLD cursors live on: once none may, errors and notices are
    /// shown again (probe JB1: psql's FETCH_COUNT declares a cursor for every query, and every
    /// later error of the session had its names hidden).
    /// </summary>
    private void ForgetEndedCursors()
    {
        if (_lastStatus != TransactionStatus.Idle)
        {
            return;
        }

        if (_cursors is { Count: > 0 } known)
        {
            foreach (var (name, cursor) in known)
            {
                if (!cursor.WithHold)
                {
                    known.Remove(name);
                }
            }
        }

        var holds = _cursors is { Count: > 0 } || _heldCursorMayLive;
        if (_holdsCursors != holds)
        {
            _holdsCursors = holds;
        }
    }
}
