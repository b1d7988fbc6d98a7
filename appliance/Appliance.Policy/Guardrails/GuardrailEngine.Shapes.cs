using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Appliance.Policy.Buffers;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Guardrails;

/// <summary>
/// Verdicts per shape (<see cref="SqlIntegerRuns"/>): a client that inlines its integers sends a
/// new text per statement, which the verdict cache cannot hit, and classifying each cost the
/// gateway more than the rest of the statement's relay. A shape is remembered only when the
/// answer cannot depend on the integers: one top-level statement of a kind classified from its
/// words and parentheses alone (no EXPLAIN, whose <c>ANALYZE 0</c> is false; no routine body or
/// PREPARE, whose strings hold statements), nothing nested, nothing from the session, no rule
/// matched, valid UTF-8 and every integer inside the statement. Rules with a regular expression
/// read the digits too, so they are run again on every text of the shape; anything they match,
/// or a timeout, sends the text the long way. Everything else is judged as before.
/// </summary>
internal sealed partial class GuardrailEngine
{
    /// <summary>
    /// Kinds <see cref="SqlClassifier"/> reads as leaves: their words and parentheses alone, never a
    /// constant's value. Not UPDATE or DELETE: whether their WHERE limits rows compares expressions,
    /// integers included (<c>round(total, 0) = round(total, 2)</c> limits, <c>id + 1 = id + 1</c> does not).
    /// </summary>
    private static readonly HashSet<string> ShapeKinds = new(StringComparer.Ordinal) { "SELECT", "INSERT", "VALUES", "TABLE" };

    private const int StackBytes = 1024;

    private readonly SqlTextCache<ShapeEntry> _shapes;
    private readonly CompiledGuardrail[] _regexRules;
    private readonly int _maxShapedTextBytes;

    public int CachedShapes => _shapes.Count;

    /// <summary>A text the verdict cache does not hold: by its shape when one is known, else judged and remembered.</summary>
    private GuardrailVerdict EvaluateByShape(ReadOnlySpan<byte> utf8Sql, SqlSession session)
    {
        if (utf8Sql.Length > _maxShapedTextBytes)
        {
            return Judge(utf8Sql, null, session).Verdict;
        }

        byte[]? rented = null;
        var shape = utf8Sql.Length <= StackBytes ? stackalloc byte[StackBytes] : (rented = Pool<byte>.Rent(utf8Sql.Length));
        try
        {
            if (!SqlIntegerRuns.TryShape(utf8Sql, shape, out var runs))
            {
                return Judge(utf8Sql, null, session).Verdict;
            }

            var key = shape[..runs.Length];
            if (_shapes.TryGet(key, out var known) && known.Covers(utf8Sql.Length, runs) && Utf8.IsValid(utf8Sql) && !AnyRegexMayMatch(utf8Sql, known))
            {
                return GuardrailVerdict.Allow;
            }

            var judgement = Classify(utf8Sql, null, session);
            if (ShapeEntry.Of(judgement, utf8Sql, runs) is { } learned)
            {
                _shapes.Add(key, learned);
            }
            else if (!judgement.Classification.DependsOnSession)
            {
                _cache.Add(utf8Sql, judgement);
            }

            return judgement.Verdict;
        }
        finally
        {
            if (rented is not null)
            {
                Pool<byte>.Return(rented);
            }
        }
    }

    /// <summary>Whether a rule's regular expression matches (or timed out on) this text's statement.</summary>
    private bool AnyRegexMayMatch(ReadOnlySpan<byte> utf8Sql, ShapeEntry shape)
    {
        if (_regexRules.Length == 0)
        {
            return false;
        }

        var statement = utf8Sql[shape.PrefixBytes..(utf8Sql.Length - shape.SuffixBytes)];
        char[]? rented = null;
        var chars = statement.Length <= StackBytes ? stackalloc char[StackBytes] : (rented = Pool<char>.Rent(statement.Length));
        try
        {
            var text = chars[..Encoding.UTF8.GetChars(statement, chars)];
            foreach (var rule in _regexRules)
            {
                if (rule.MayMatchText(text))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            if (rented is not null)
            {
                Pool<char>.Return(rented);
            }
        }
    }

    /// <summary>
    /// A shape whose texts are allowed, and where its statement lies: after the first
    /// <see cref="PrefixBytes"/> and before the last <see cref="SuffixBytes"/> (whitespace,
    /// comments, a semicolon: the same bytes in every text of the shape).
    /// </summary>
    private sealed record ShapeEntry(int PrefixBytes, int SuffixBytes)
    {
        /// <summary>The text's integers all lie inside the statement, as the first text's did.</summary>
        public bool Covers(int textLength, SqlIntegerRuns.ShapeInfo runs) =>
            runs.FirstRun >= PrefixBytes && runs.LastRunEnd <= textLength - SuffixBytes;

        /// <summary>The entry a judged text teaches, or null when its verdict may depend on its integers.</summary>
        public static ShapeEntry? Of(Judgement judgement, ReadOnlySpan<byte> utf8Sql, SqlIntegerRuns.ShapeInfo runs)
        {
            var classification = judgement.Classification;
            if (!ReferenceEquals(judgement.Verdict, GuardrailVerdict.Allow) || classification.DependsOnSession || classification.HasUnknown
                || classification.TopLevelCount != 1 || classification.Statements.Count != 1)
            {
                return null;
            }

            var statement = classification.Statements[0];
            if (statement.Depth != 0 || statement.Origin != SqlStatementOrigin.TopLevel || !ShapeKinds.Contains(statement.Kind)
                || !string.Equals(statement.Kind, statement.Command, StringComparison.Ordinal)
                || !MemoryMarshal.TryGetString(statement.Text, out var source, out var start, out var length)
                || !Utf8.IsValid(utf8Sql))
            {
                return null;
            }

            var entry = new ShapeEntry(Encoding.UTF8.GetByteCount(source.AsSpan(0, start)), Encoding.UTF8.GetByteCount(source.AsSpan(start + length)));
            return entry.Covers(utf8Sql.Length, runs) ? entry : null;
        }
    }
}
