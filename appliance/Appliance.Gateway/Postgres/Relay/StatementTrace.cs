using System.Diagnostics;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// What the audit record of one statement (a Query or an Execute) collects on its way through:
/// set up by the client thread when it forwards the statement, completed by the upstream thread.
/// </summary>
internal sealed class StatementTrace(
    long seq, DateTimeOffset startedAt, string sql, IReadOnlyList<string?>? parameters, string? guardrail, long? startTimestamp = null)
{
    public const int MaxSampleRows = 5;

    public long Seq { get; } = seq;

    /// <summary>When it arrived (Stopwatch): a statement held for review and approved lasted the hold too.</summary>
    public long StartTimestamp { get; } = startTimestamp ?? Stopwatch.GetTimestamp();

    public DateTimeOffset StartedAt { get; } = startedAt;

    public string Sql { get; } = sql;

    public IReadOnlyList<string?>? Parameters { get; } = parameters;

    /// <summary>Alert rules that matched (the statement ran).</summary>
    public string? Guardrail { get; } = guardrail;

    /// <summary>The command tags, <c>SELECT 1; SELECT 1 (+99980 more)</c> past <see cref="MaxTags"/>.</summary>
    public string? Tag => _tags > MaxTags ? $"{_firstTags} (+{_tags - MaxTags} more)" : _firstTags;

    public long? Rows { get; set; }

    public string? Error { get; set; }

    /// <summary>Alert rules whose events go out once the upstream has run it, not when it skips it (PgSession.RaiseAlertsOfRun).</summary>
    public Appliance.Policy.Guardrails.GuardrailMatch[]? AlertMatches { get; set; }

    /// <summary>The review whose approval this run spent: marked not run when the upstream skips it.</summary>
    public string? SpentReview { get; set; }

    /// <summary>Set when the gateway stopped the statement's results (e.g. a COPY it cannot mask).</summary>
    public string? Outcome { get; set; }

    public ResultShapeInfo? Shape { get; set; }

    /// <summary>DataRows (or COPY lines) relayed: the row count when no command tag gives one (a suspended portal).</summary>
    public long RowsRelayed { get; set; }

    public List<IReadOnlyList<string?>>? Samples { get; set; }

    public bool WantsSample => Samples is null || Samples.Count < MaxSampleRows;

    /// <summary>
    /// The statement names a password (a setting, a column), had a literal hidden as one
    /// (<c>current_setting('my.password')</c> is recorded with <c>'****'</c>), or reads or writes
    /// settings, whose names it may compute (<c>current_setting('my.pass' || 'word')</c>, probe AZ;
    /// <c>set_config($1, $2)</c>, FC2), or names another secret (<c>my.secret</c>, a pgcrypto key,
    /// GD8): its sample rows and parameters keep no values.
    /// </summary>
    public bool MayCarrySecret => _mayCarrySecret ??= SqlMayCarrySecret(Sql);

    private bool? _mayCarrySecret;

    // One vectorized pass over the text: four case-insensitive searches per executed statement
    // were 1.5% of the event loop's time in the prepared benchmark.
    private static readonly System.Buffers.SearchValues<string> SecretHints = System.Buffers.SearchValues.Create(
        ["password", "passwd", "secret", "current_setting", "set_config", "pg_settings", "pgp_sym_", "crypt("], StringComparison.OrdinalIgnoreCase);

    /// <summary>Statement texts repeat (a prepared statement's, executed again and again): the last answer is kept per thread.</summary>
    [ThreadStatic] private static string? t_lastSql;
    [ThreadStatic] private static bool t_lastAnswer;

    internal static bool SqlMayCarrySecret(string sql)
    {
        if (ReferenceEquals(sql, t_lastSql))
        {
            return t_lastAnswer;
        }

        var answer = sql.AsSpan().IndexOfAny(SecretHints) >= 0 || sql.Contains("'****'", StringComparison.Ordinal) && !Appliance.Policy.Masking.Masker.HasOnlyColumnMasks(sql)
            || sql.AsSpan().TrimStart().StartsWith("SHOW", StringComparison.OrdinalIgnoreCase)
            // SQL PREPARE's statement runs under EXECUTE's text, which does not say what it reads (probe HA2).
            || sql.AsSpan().TrimStart().StartsWith("EXECUTE", StringComparison.OrdinalIgnoreCase);
        t_lastSql = sql;
        t_lastAnswer = answer;
        return answer;
    }

    public double ElapsedMilliseconds => Stopwatch.GetElapsedTime(StartTimestamp).TotalMilliseconds;

    /// <summary>A Query's first command tags are recorded; the others are counted (appending each made 100,000 statements quadratic, probe AE).</summary>
    public const int MaxTags = 20;

    private string? _firstTags;
    private int _tags;

    /// <summary>One more CommandComplete of this statement (a simple Query may run several).</summary>
    public void AddCompletion(string tag, ulong? rows)
    {
        if (++_tags <= MaxTags)
        {
            _firstTags = _firstTags is null ? tag : _firstTags + "; " + tag;
        }

        if (rows is { } n)
        {
            Rows = (Rows ?? 0) + (long)n;
        }
    }
}
