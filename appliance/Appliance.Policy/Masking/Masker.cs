using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.Policy.Buffers;
using Appliance.Policy.Configuration;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// A connection's masking profiles, compiled once per policy version and shared by its sessions
/// (thread-safe). Values are UTF-8 text or PostgreSQL binary; nothing is allocated or written
/// for a value that needs no masking.
/// </summary>
/// <remarks>
/// Custom patterns replace each match with as many <c>*</c> as it has characters (the pattern
/// already tells its shape, and fixed-width output stays aligned). Masked columns become
/// <c>****</c> (JSON: <c>"****"</c>) for text-like types and NULL for every other type. A card
/// or SSN found in a number (int8, numeric, float8, in either format) makes the value NULL:
/// NULL is a valid value of every type and, unlike a made-up number, is never mistaken for data.
/// </remarks>
internal sealed partial class Masker
{
    private readonly Detectors _detectors;
    private readonly Regex[] _patterns;
    private readonly FrozenSet<string> _columns;

    /// <summary>What a statement that may give a masked column a value holds (Masker.ColumnValues.cs), found in one vectorized pass.</summary>
    private readonly System.Buffers.SearchValues<string> _valueHints;
    private readonly FlowPrefilter _prefilter;
    private readonly SqlTextCache<CachedPlan> _plans;
    private long _patternTimeouts;

    private Masker(Detectors detectors, Regex[] patterns, FrozenSet<string> columns, MaskerOptions options)
    {
        _detectors = detectors;
        _patterns = patterns;
        _columns = columns;
        _valueHints = System.Buffers.SearchValues.Create([.. columns, "U&", "EXECUTE", "INSERT"], StringComparison.OrdinalIgnoreCase);
        _prefilter = new FlowPrefilter(columns);
        _plans = new SqlTextCache<CachedPlan>(options.PlanCacheCapacity, options.MaxPlanKeyBytes);
    }

    /// <summary>Values are scanned (detectors or custom patterns are configured).</summary>
    public bool HasValueDetection => _detectors != Detectors.None || _patterns.Length > 0;

    /// <summary>Some columns are masked whole by name.</summary>
    public bool HasColumnRules => _columns.Count > 0;

    /// <summary>Whether <paramref name="other"/> masks the same columns by name (what a session's catalog, cursors and prepared statements were judged by).</summary>
    public bool HasSameColumnRules(Masker other) => _columns.SetEquals(other._columns);

    /// <summary>Nothing to mask: the gateway can relay results untouched.</summary>
    public bool IsEmpty => !HasValueDetection && !HasColumnRules;

    public long PatternTimeouts => Interlocked.Read(ref _patternTimeouts);

    /// <exception cref="ArgumentException">An invalid pattern.</exception>
    public static Masker Compile(IReadOnlyList<MaskingProfile> profiles, MaskerOptions? options = null)
    {
        options ??= MaskerOptions.Default;
        var detectors = Detectors.None;
        foreach (var detector in profiles.SelectMany(p => p.Detectors))
        {
            detectors |= detector switch
            {
                MaskingDetector.CreditCard => Detectors.Card,
                MaskingDetector.UsSsn => Detectors.Ssn,
                MaskingDetector.Email => Detectors.Email,
                _ => Detectors.None,
            };
        }

        var patterns = profiles.SelectMany(p => p.Patterns)
            .Select(p => new Regex(p.Regex, RegexOptions.CultureInvariant | RegexOptions.Compiled, options.PatternTimeout))
            .ToArray();
        var columns = profiles.SelectMany(p => p.Columns).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        return new Masker(detectors, patterns, columns, options);
    }

    /// <summary>
    /// Masks a text value (UTF-8) wherever in it a card, SSN, e-mail or pattern appears. Returns
    /// false, having written nothing, when the value is unchanged.
    /// </summary>
    public bool TryMask(ReadOnlySpan<byte> value, IBufferWriter<byte> output) =>
        MaskText(value, ScanMode.Text, output, default) == MaskResult.Replaced;

    /// <summary>
    /// Whether a value holds anything the detectors or patterns find, without writing: for data
    /// that cannot be rewritten (binary COPY rows), which the gateway then withholds.
    /// </summary>
    public bool Detects(ReadOnlySpan<byte> value) => MaskText(value, ScanMode.DetectOnly, null, default) == MaskResult.Null;

    /// <summary>For statement parameters and result samples going to the audit log: the same detectors and patterns.</summary>
    public string Mask(string text)
    {
        if (!HasValueDetection || text.Length == 0)
        {
            return text;
        }

        var rented = Pool<byte>.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            var output = new ArrayBufferWriter<byte>(length + 16);
            return TryMask(rented.AsSpan(0, length), output) ? Encoding.UTF8.GetString(output.WrittenSpan) : text;
        }
        finally
        {
            Pool<byte>.Return(rented);
        }
    }

    /// <summary>Detectors, then custom patterns over the detectors' result.</summary>
    /// <param name="bytes">The value is a bytea's bytes, not text (<see cref="Detectors.Bytes"/>).</param>
    private MaskResult MaskText(ReadOnlySpan<byte> value, ScanMode mode, IBufferWriter<byte>? output, ReadOnlySpan<byte> prefix, bool bytes = false)
    {
        var detectors = bytes && _detectors != Detectors.None ? _detectors | Detectors.Bytes : _detectors;
        var result = MaskTextAsWritten(value, detectors, mode, output, prefix);
        if (result != MaskResult.Unchanged || !Lookalikes.MayHold(value) || _detectors == Detectors.None)
        {
            return result;
        }

        // Read with its lookalikes as ASCII, a value that holds a card or SSN is masked whole:
        // where in the original its digits were is not worth the risk of getting it wrong.
        var normalized = PooledBufferWriter.Scratch(4);
        if (!Lookalikes.TryNormalize(value, normalized, bytes) || ValueScanner.Scan(normalized.WrittenSpan, detectors, ScanMode.DetectOnly, null) != MaskResult.Null)
        {
            return MaskResult.Unchanged;
        }

        if (mode == ScanMode.DetectOnly || output is null)
        {
            return MaskResult.Null;
        }

        Write(output, prefix);
        Write(output, mode == ScanMode.Json ? JsonStars : Stars);
        return MaskResult.Replaced;
    }

    private MaskResult MaskTextAsWritten(ReadOnlySpan<byte> value, Detectors detectors, ScanMode mode, IBufferWriter<byte>? output, ReadOnlySpan<byte> prefix)
    {
        if (_patterns.Length == 0)
        {
            return ValueScanner.Scan(value, detectors, mode, output, prefix);
        }

        if (mode == ScanMode.DetectOnly)
        {
            return ValueScanner.Scan(value, detectors, mode, null) == MaskResult.Null
                ? MaskResult.Null
                : ApplyPatterns(value, mode, null, default);
        }

        var scratch = PooledBufferWriter.Scratch(0);
        var detected = ValueScanner.Scan(value, detectors, mode, scratch);
        var source = detected == MaskResult.Replaced ? scratch.WrittenSpan : value;
        var patterned = ApplyPatterns(source, mode, output, prefix);
        if (patterned == MaskResult.Unchanged && detected == MaskResult.Replaced)
        {
            Write(output!, prefix);
            Write(output!, source);
            return MaskResult.Replaced;
        }

        return patterned;
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        if (!bytes.IsEmpty)
        {
            bytes.CopyTo(output.GetSpan(bytes.Length));
            output.Advance(bytes.Length);
        }
    }
}
