using Appliance.Policy.Masking;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>A prepared statement as the client thread knows it: the text it was parsed from.</summary>
internal sealed class StatementInfo(byte[] text, uint[] parameterTypes)
{
    /// <summary>A Bind or Execute of a statement the gateway never saw parsed (the upstream will refuse it).</summary>
    public static readonly StatementInfo Unknown = new([], []);

    public byte[] Text { get; } = text;

    /// <summary>The parameter type OIDs the Parse gave (0: left to the server), to read binary parameters for the audit log.</summary>
    public uint[] ParameterTypes { get; } = parameterTypes;

    /// <summary>The type of parameter <paramref name="index"/>, 0 when the Parse left it to the server.</summary>
    public uint ParameterType(int index) => (uint)index < (uint)ParameterTypes.Length ? ParameterTypes[index] : 0;

    /// <summary>A FETCH: its rows are the cursor's, whatever it is when it runs (PgSession.Cursors.cs).</summary>
    public bool FetchesCursor { get; init; }

    /// <summary>
    /// The upstream refused its Parse (42P05: the name was taken) or skipped it: what the name
    /// runs there is not this text. Set on the upstream side, read at Bind (probe DO: after a
    /// forgotten name was parsed again, the gateway judged and recorded the new text while
    /// PostgreSQL ran the old).
    /// </summary>
    public bool ParseFailed
    {
        get => Volatile.Read(ref _parseFailed);
        set => Volatile.Write(ref _parseFailed, value);
    }

    private bool _parseFailed;

    /// <summary>
    /// No statement of its name was known when it was parsed (by Parse or SQL PREPARE), so where
    /// its Parse failed for another reason than the name being taken (42P05), PostgreSQL holds no
    /// statement of that name (probe DS2: a Bind of it was refused as a SQL-prepared statement's,
    /// 42501, where PostgreSQL says 26000, on which drivers parse again).
    /// </summary>
    public bool NameWasFree { get; set; }

    /// <summary>Its Parse failed because the name was taken upstream (42P05): the name runs another text there.</summary>
    public bool NameTaken
    {
        get => Volatile.Read(ref _nameTaken);
        set => Volatile.Write(ref _nameTaken, value);
    }

    private bool _nameTaken;

    /// <summary>PostgreSQL holds no statement of its name: its Parse failed or was skipped, the name free before it and not taken upstream.</summary>
    public bool NeverMadeUpstream => ParseFailed && NameWasFree && !NameTaken;

    /// <summary>Running it may change client_encoding (PgSession.Encoding.cs); worked out when first asked.</summary>
    public bool MayChangeClientEncoding => _mayChangeClientEncoding ??= Policy.ClientEncodings.MayChangeClientEncoding(Text);

    /// <summary>Whether running it may close a portal or open one under a name (PgSession.Portals.cs).</summary>
    public bool MayTouchPortals => _mayTouchPortals ??= PgSession.MayTouchPortals(Text);

    private bool? _mayTouchPortals;

    private bool? _mayChangeClientEncoding;

    /// <summary>
    /// Its text may DEALLOCATE or DISCARD ALL: SQL-prepared statements are forgotten when an
    /// Execute runs it, not at its Parse (probe AA1: a Parse never executed forgot an approved DELETE).
    /// </summary>
    public bool MayForgetPrepared => _mayForgetPrepared ??= PgSession.MayForgetPrepared(Text);

    private bool? _mayForgetPrepared;

    /// <summary>
    /// Its text may run a SQL-prepared statement (<c>EXECUTE name</c>, <c>EXPLAIN ANALYZE EXECUTE
    /// name</c>): PostgreSQL looks the name up at each run, so each run is judged by what the name
    /// holds then (probe AF1: a Close and a new PREPARE under the name, approved once, made every
    /// later Execute a DELETE judged at Parse as SELECT 1).
    /// </summary>
    public bool MayRunSqlPrepared => _mayRunSqlPrepared ??= PgSession.MayRunSqlPrepared(Text);

    private bool? _mayRunSqlPrepared;

    /// <summary>The text its results are planned with: none for a FETCH, so computed columns are masked whole.</summary>
    public byte[] ResultText => FetchesCursor ? [] : Text;

    /// <summary>The alert rules its Parse matched, named on the record of each run, whose events each run raises.</summary>
    public string? Alerts { get; set; }

    /// <inheritdoc cref="Alerts"/>
    public Appliance.Policy.Guardrails.GuardrailMatch[]? AlertMatches { get; set; }

    /// <summary>The masked text for the audit log, computed once per statement.</summary>
    public string? MaskedSql { get; set; }

    /// <summary>
    /// The numbers of the parameters it gives to masked columns (<c>WHERE ssn = $1</c>), recorded
    /// as <c>****</c> whatever their value (Masker.ColumnValues.cs); worked out when first asked.
    /// </summary>
    public IReadOnlySet<int> ColumnParameters(Masker masker, IColumnNameLookup relations) =>
        _columnParameters ??= masker.HasColumnRules ? masker.ColumnParameters(System.Text.Encoding.UTF8.GetString(Text), relations) ?? NoParameters : NoParameters;

    private static readonly IReadOnlySet<int> NoParameters = new HashSet<int>();

    private IReadOnlySet<int>? _columnParameters;

    /// <summary>
    /// A statement a review allowed: its approval covers one run, so one Execute; null when no
    /// review held it. Client side only (probe CC: every Execute of an approved prepared
    /// statement ran, one approval running it three times).
    /// </summary>
    public int? ExecutionsLeft { get; set; }

    /// <summary>The guardrail whose review allowed it: each Execute past the first is held for a review of its own.</summary>
    public Appliance.Policy.Guardrails.GuardrailMatch? ReviewedBy { get; set; }

    /// <summary>The review whose approval its one run spends.</summary>
    public string? ApprovedIn { get; set; }

    /// <summary>Counts the Parses of this statement (same name, same text); client side only.</summary>
    public int Generation { get; set; }

    /// <summary>
    /// The result shape a portal of this statement was described with. Set by the upstream side,
    /// read by the client side (hence one immutable object), which uses it only while its
    /// generation is the statement's: an answer to a Describe sent before the latest Parse
    /// may arrive after it.
    /// </summary>
    public volatile StatementResult? Result;
}

/// <summary>
/// What a Describe of a portal answered, for portals of the same statement bound with the same
/// result formats: PostgreSQL keeps a prepared statement's result row type fixed until it is
/// parsed again (a change of the tables under it fails the Execute with "cached plan must not
/// change result type", plancache.c), so their RowDescription is the same and the gateway need
/// not ask again (prepared statements, which drivers describe once, would otherwise cost a
/// Describe per Execute).
/// </summary>
internal sealed record StatementResult(int Generation, byte[] ResultFormats, ResultShapeInfo? Shape, ResultMaskPlan Plan, Masker Masker)
{
    public bool Fits(StatementInfo statement, ReadOnlySpan<byte> resultFormats, Masker masker) =>
        Generation == statement.Generation && ReferenceEquals(masker, Masker) && resultFormats.SequenceEqual(ResultFormats);
}
