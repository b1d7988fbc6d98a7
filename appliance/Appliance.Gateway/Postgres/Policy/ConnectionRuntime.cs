using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Appliance.Policy.Buffers;
using Appliance.Policy.Configuration;
using Appliance.Policy.Guardrails;
using Appliance.Policy.Masking;
using Appliance.Policy.Sql;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// What a connection's policy compiles to: its guardrail engine and its masker, built once per
/// policy version and shared by every session of the connection (both are thread-safe).
/// </summary>
internal sealed class ConnectionRuntime
{
    private static readonly ConditionalWeakTable<ConnectionPolicy, ConnectionRuntime> Compiled = [];

    private readonly SqlTextCache<string> _maskedSql = new(capacity: 4096, maxKeyLength: 8192);

    /// <summary>Where <see cref="MaskText"/> writes a masked text before decoding it; runtimes are shared by sessions on many threads.</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    /// <summary>Shorter, a password is a word any statement may hold; it is no secret worth the name either.</summary>
    private const int MinSecretLength = 4;

    /// <summary>PostgreSQL keeps names and application_name to 63 bytes (NAMEDATALEN - 1): a longer password comes back cut there.</summary>
    private const int NameLength = 63;

    /// <summary>The upstream's password, if it has one worth looking for (<see cref="CutSecret(string)"/>).</summary>
    private readonly string? _upstreamPassword;

    /// <summary>Its first 63 characters, when it is longer: what the server reports of it as an application_name (probe EA8).</summary>
    private readonly string? _upstreamPasswordCut;

    private ConnectionRuntime(ConnectionPolicy connection)
    {
        Connection = connection;
        Guardrails = GuardrailEngine.Compile(BuiltInGuardrails.With(connection.Guardrails));
        Masker = Masker.Compile(connection.Masking);
        _upstreamPassword = connection.Upstream.Password.Length >= MinSecretLength ? connection.Upstream.Password : null;
        _upstreamPasswordCut = _upstreamPassword is { Length: > NameLength } longer ? longer[..NameLength] : null;
    }

    /// <summary>
    /// <paramref name="text"/> with the upstream's password, where a person pasted it (into a
    /// statement, a comment, a value it selects), as <c>****</c>: the audit log, its sample rows and
    /// an approver's review keep no target credential (probe DY1: <c>SELECT '&lt;password&gt;'</c> was
    /// recorded as typed, and its sample row too).
    /// </summary>
    public string CutSecret(string text)
    {
        if (_upstreamPassword is not { } password)
        {
            return text;
        }

        var cut = text.Contains(password, StringComparison.Ordinal) ? text.Replace(password, SecretShown, StringComparison.Ordinal) : text;
        return _upstreamPasswordCut is { } prefix && cut.Contains(prefix, StringComparison.Ordinal) ? cut.Replace(prefix, SecretShown, StringComparison.Ordinal) : cut;
    }

    /// <summary>Values (a row of samples, a Bind's parameters) with <see cref="CutSecret(string)"/> applied: the same list when none holds it.</summary>
    public IReadOnlyList<string?>? CutSecret(IReadOnlyList<string?>? values)
    {
        if (_upstreamPassword is null || values is null)
        {
            return values;
        }

        string?[]? cut = null;
        for (var i = 0; i < values.Count; i++)
        {
            // CutSecret gives the same string back when it holds nothing to cut.
            if (values[i] is { } value && CutSecret(value) is var shown && !ReferenceEquals(shown, value))
            {
                cut ??= [.. values];
                cut[i] = shown;
            }
        }

        return cut ?? values;
    }

    private const string SecretShown = "****";

    public ConnectionPolicy Connection { get; }

    public GuardrailEngine Guardrails { get; }

    public Masker Masker { get; }

    /// <summary>Results must be looked at (some masking is configured).</summary>
    public bool Masks => !Masker.IsEmpty;

    /// <summary>The runtime of this policy object (a reload brings new objects, hence new runtimes).</summary>
    public static ConnectionRuntime For(ConnectionPolicy connection) => Compiled.GetValue(connection, c => new ConnectionRuntime(c));

    /// <summary>
    /// The SQL text as the audit log may hold it (literals can carry card numbers, values given to
    /// masked columns are shown as <c>'****'</c>; a huge statement is shortened, Masker.RecordedText.cs). Repeated texts
    /// (prepared statements, ORMs) come from a cache, so recording costs no rescan. Texts with
    /// integers inlined are masked every time instead: each is new, and caching them only churned
    /// the cache (a full one is emptied) and kept thousands of strings alive into older GC generations.
    /// </summary>
    public string MaskSql(ReadOnlySpan<byte> utf8Sql)
    {
        if (_maskedSql.TryGet(utf8Sql, out var cached))
        {
            return cached;
        }

        var masked = Masker.ShortenForRecord(CutSecret(Appliance.Logging.GatewayCredentials.Cut(Masker.MaskColumnValues(Masker.MaskSqlLiterals(MaskText(utf8Sql))))));
        if (!SqlIntegerRuns.HasRun(utf8Sql))
        {
            _maskedSql.Add(utf8Sql, masked);
        }

        return masked;
    }

    /// <summary>A statement's text, as <see cref="MaskSql(ReadOnlySpan{byte})"/> masks it, for events (not cached: they are rare).</summary>
    public string MaskSql(string sql) => Masker.ShortenForRecord(CutSecret(Appliance.Logging.GatewayCredentials.Cut(Masker.MaskColumnValues(Masker.MaskSqlLiterals(Masker.Mask(sql))))));

    /// <summary>
    /// UTF-8 text (a statement, a parameter) as the audit log may hold it: scanned where it lies
    /// and decoded once. Text that is not valid UTF-8 is decoded first (invalid bytes become
    /// U+FFFD) and scanned as that, so the detectors never see bytes the log will not hold.
    /// </summary>
    public string MaskText(ReadOnlySpan<byte> utf8)
    {
        if (!Masker.HasValueDetection)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        if (!Utf8.IsValid(utf8))
        {
            return Masker.Mask(Encoding.UTF8.GetString(utf8));
        }

        var scratch = _scratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        var text = Encoding.UTF8.GetString(Masker.TryMask(utf8, scratch) ? scratch.WrittenSpan : utf8);
        _scratch = Scratch.KeepUnlessGrown(scratch);
        return text;
    }
}
