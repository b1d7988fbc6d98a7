namespace Appliance.Policy.Sql;

/// <summary>
/// What the guardrails must remember about one client connection: its prepared statements,
/// which SQL <c>PREPARE</c> and the extended protocol's named Parse share (one namespace in
/// PostgreSQL), so that <c>EXECUTE name</c> is judged by what it runs. One per connection,
/// used by one thread at a time. A name prepared twice keeps both definitions (the second
/// PREPARE may have failed upstream), so EXECUTE is judged by all of them. DEALLOCATE, DISCARD
/// ALL and Close forget only once the upstream has answered them without an error: skipped after
/// an error, or refused in an aborted transaction, they left the statement as it was (probe ZA1:
/// <c>SELECT 1/0; DEALLOCATE pd; PREPARE pd AS SELECT 1</c> had an approved DELETE judged as
/// <c>SELECT 1</c> from then on). An EXECUTE of a name this object does not know is classified as
/// unknown (fail closed).
/// </summary>
internal sealed class SqlSession
{
    /// <summary>Beyond this many prepared statements the oldest are no longer tracked (then unknown).</summary>
    public const int MaxPreparedStatements = 4096;

    private const int MaxDefinitionsPerName = 4;

    /// <summary>A null list: the name had too many competing definitions to track, so it is unknown.</summary>
    private readonly Dictionary<string, List<SqlStatement[]>?> _prepared = new(StringComparer.Ordinal);

    /// <summary>
    /// Definitions forgotten by batches not yet answered (or answered with an error and not yet
    /// settled): until then EXECUTE is judged by them too.
    /// </summary>
    private readonly List<Removal> _removed = [];

    public int PreparedCount => _prepared.Count;

    /// <summary>
    /// The batch (a simple Query, or an extended batch up to its Sync) being classified now, as the
    /// gateway numbers them: what it forgets is settled by that batch's answer.
    /// </summary>
    public long Batch { get; set; }

    public bool HasPendingRemovals => _removed.Count > 0;

    /// <summary>Whether the statements of <paramref name="batch"/> forgot every prepared statement (DEALLOCATE ALL, DISCARD ALL).</summary>
    public bool ForgotAllIn(long batch) => _removed.Exists(r => r.Batch == batch && r.All);

    /// <summary>The names the statements of <paramref name="batch"/> forgot one by one (DEALLOCATE name).</summary>
    public IEnumerable<string> ForgottenIn(long batch) =>
        _removed.Where(r => r.Batch == batch && !r.All).SelectMany(r => r.Definitions.Keys);

    /// <summary>
    /// A Parse is being judged: it defines its name, but what it would forget (DEALLOCATE, DISCARD
    /// ALL) is forgotten only when an Execute runs it (<see cref="SqlClassifier.Classify"/> then).
    /// </summary>
    public bool Parsing { get; set; }

    /// <summary>
    /// The extended protocol's Close of a statement ('S'). (A named Parse is remembered by
    /// <see cref="Guardrails.GuardrailEngine.EvaluateParse"/>.)
    /// </summary>
    public void OnClose(string statementName) => Deallocate(statementName);

    /// <summary>A definition that never reached the upstream (its Parse was refused): forgotten at once.</summary>
    public void Forget(string statementName) => _prepared.Remove(statementName);

    /// <summary>A statement of this name was defined (by PREPARE or a Parse) and not closed since.</summary>
    public bool IsDefined(string name) => _prepared.ContainsKey(name);

    /// <summary>Whether one definition alone is known for <paramref name="name"/> (no SQL PREPARE of it since).</summary>
    public bool IsDefinedOnce(string name) => _prepared.TryGetValue(name, out var definitions) && definitions is { Count: 1 };

    /// <summary>
    /// Whether the name may still be prepared upstream: known here (also when its definitions are
    /// too many to follow), or past what this object tracks. A statement made by dynamic SQL in a
    /// body is not seen here.
    /// </summary>
    public bool MayBePrepared(string name) =>
        _prepared.ContainsKey(name) || _prepared.Count >= MaxPreparedStatements || _removed.Exists(r => r.Definitions.ContainsKey(name));

    /// <summary>DEALLOCATE ALL, DISCARD ALL: everything is forgotten once the upstream has done it.</summary>
    public void Reset()
    {
        if (_prepared.Count > 0)
        {
            _removed.Add(new Removal(Batch, new Dictionary<string, List<SqlStatement[]>?>(_prepared, StringComparer.Ordinal), All: true));
            _prepared.Clear();
        }
    }

    /// <summary>
    /// The upstream answered every batch up to <paramref name="answered"/>, and the last it
    /// answered with an error is <paramref name="lastFailed"/>: a batch answered without one did
    /// forget what it forgot; one that failed, or that cannot be told from a failed one (a later
    /// batch failed too), gives its definitions back, as it may have been skipped.
    /// </summary>
    public void Settle(long answered, long lastFailed)
    {
        for (var i = 0; i < _removed.Count;)
        {
            var removal = _removed[i];
            if (removal.Batch > answered)
            {
                i++;
                continue;
            }

            _removed.RemoveAt(i);
            if (lastFailed >= removal.Batch)
            {
                Restore(removal);
            }
        }
    }

    /// <summary>The batch's statement was refused by the gateway: PostgreSQL never ran what it forgot.</summary>
    public void Undo(long batch)
    {
        for (var i = _removed.Count - 1; i >= 0; i--)
        {
            if (_removed[i].Batch == batch)
            {
                var removal = _removed[i];
                _removed.RemoveAt(i);
                Restore(removal);
            }
        }
    }

    private void Restore(Removal removal)
    {
        foreach (var (name, definitions) in removal.Definitions)
        {
            if (definitions is null)
            {
                _prepared[name] = null;
                continue;
            }

            foreach (var definition in definitions)
            {
                Define(name, definition);
            }
        }
    }

    internal void Define(string name, SqlStatement[] statements)
    {
        if (_prepared.TryGetValue(name, out var definitions))
        {
            if (definitions is null || definitions.Count >= MaxDefinitionsPerName)
            {
                // Too many competing definitions: keep the name but as unknown, so EXECUTE fails closed.
                _prepared[name] = null;
                return;
            }

            definitions.Add(statements);
            _judged.Add((name, statements));
            return;
        }

        if (_prepared.Count >= MaxPreparedStatements)
        {
            return;
        }

        _prepared[name] = [statements];
        _judged.Add((name, statements));
    }

    /// <summary>The definitions the statement being judged made (since <see cref="BeginJudging"/>).</summary>
    private readonly List<(string Name, SqlStatement[] Statements)> _judged = [];

    private bool _carryJudged;

    /// <summary>A statement is about to be judged: what it defines is noted, to be forgotten if it does not run.</summary>
    public void BeginJudging()
    {
        if (!_carryJudged)
        {
            _judged.Clear();
        }

        _carryJudged = false;
    }

    /// <summary>The statement judged is judged again next (a session leaving its event loop): what it defined stays noted.</summary>
    public void CarryJudged() => _carryJudged = true;

    /// <summary>
    /// The statement judged was refused, or held and not run: PostgreSQL never prepared what it
    /// defined (probe DO1: an EXECUTE of a PREPARE held for review and withdrawn was held again, as
    /// its body, for an approval PostgreSQL then answered with 26000). Definitions made before stay.
    /// </summary>
    public void ForgetJudged()
    {
        foreach (var (name, statements) in _judged)
        {
            if (_prepared.TryGetValue(name, out var definitions) && definitions is not null && definitions.Remove(statements) && definitions.Count == 0)
            {
                _prepared.Remove(name);
            }
        }

        _judged.Clear();
    }

    internal void Deallocate(string name)
    {
        if (_prepared.Remove(name, out var definitions))
        {
            _removed.Add(new Removal(Batch, new Dictionary<string, List<SqlStatement[]>?>(StringComparer.Ordinal) { [name] = definitions }));
        }
    }

    /// <summary>Every definition the name may have, forgotten ones not yet settled included; false when the name is unknown.</summary>
    internal bool TryResolve(string name, out IReadOnlyList<SqlStatement[]> definitions)
    {
        definitions = [];
        var known = _prepared.TryGetValue(name, out var list);
        if (known && list is null)
        {
            return false;
        }

        if (_removed.Count == 0)
        {
            definitions = list ?? [];
            return known;
        }

        var all = list is null ? [] : new List<SqlStatement[]>(list);
        foreach (var removal in _removed)
        {
            if (removal.Definitions.TryGetValue(name, out var forgotten))
            {
                if (forgotten is null)
                {
                    return false;
                }

                all.AddRange(forgotten);
                known = true;
            }
        }

        definitions = all;
        return known;
    }

    /// <summary>What one batch forgot: a name's definitions (null: too many to follow).</summary>
    private sealed record Removal(long Batch, Dictionary<string, List<SqlStatement[]>?> Definitions, bool All = false);
}
