namespace Appliance.Policy.Sql;

/// <summary>
/// What the guardrails must remember about one client connection: its prepared statements,
/// which SQL <c>PREPARE</c> and the extended protocol's named Parse share (one namespace in
/// PostgreSQL), so that <c>EXECUTE name</c> is judged by what it runs. One per connection,
/// used by one thread at a time. A name prepared twice keeps both definitions (the second
/// PREPARE may have failed upstream), so EXECUTE is judged by all of them; DEALLOCATE forgets.
/// An EXECUTE of a name this object does not know is classified as unknown (fail closed).
/// </summary>
internal sealed class SqlSession
{
    /// <summary>Beyond this many prepared statements the oldest are no longer tracked (then unknown).</summary>
    public const int MaxPreparedStatements = 4096;

    private const int MaxDefinitionsPerName = 4;

    /// <summary>A null list: the name had too many competing definitions to track, so it is unknown.</summary>
    private readonly Dictionary<string, List<SqlStatement[]>?> _prepared = new(StringComparer.Ordinal);

    public int PreparedCount => _prepared.Count;

    /// <summary>
    /// The extended protocol's Close of a statement ('S'). (A named Parse is remembered by
    /// <see cref="Guardrails.GuardrailEngine.EvaluateParse"/>.)
    /// </summary>
    public void OnClose(string statementName) => _prepared.Remove(statementName);

    /// <summary>A statement of this name was defined (by PREPARE or a Parse) and not closed since.</summary>
    public bool IsDefined(string name) => _prepared.ContainsKey(name);

    /// <summary>
    /// Whether the name may still be prepared upstream: known here (also when its definitions are
    /// too many to follow), or past what this object tracks. A statement made by dynamic SQL in a
    /// body is not seen here.
    /// </summary>
    public bool MayBePrepared(string name) => _prepared.ContainsKey(name) || _prepared.Count >= MaxPreparedStatements;

    /// <summary>A new server session (reconnect, DISCARD ALL, RESET of the connection).</summary>
    public void Reset() => _prepared.Clear();

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
            return;
        }

        if (_prepared.Count >= MaxPreparedStatements)
        {
            return;
        }

        _prepared[name] = [statements];
    }

    internal void Deallocate(string name) => _prepared.Remove(name);

    /// <summary>Every definition the name may have; false when the name is unknown.</summary>
    internal bool TryResolve(string name, out IReadOnlyList<SqlStatement[]> definitions)
    {
        if (_prepared.TryGetValue(name, out var list) && list is not null)
        {
            definitions = list;
            return true;
        }

        definitions = [];
        return false;
    }
}
