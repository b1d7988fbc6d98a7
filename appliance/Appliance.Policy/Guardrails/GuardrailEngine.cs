using System.Buffers;
using System.Text;
using Appliance.Policy.Buffers;
using Appliance.Policy.Configuration;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Guardrails;

/// <summary>
/// A connection's guardrails, compiled once per policy version and shared by all of that
/// connection's sessions (thread-safe). Judges every statement of a query; verdicts for
/// repeated texts come from a cache, except for texts that use or change the session's
/// prepared statements (PREPARE, EXECUTE, DEALLOCATE, DISCARD), which are judged every time.
/// Texts that differ only in integers are judged once per shape where that is sound
/// (GuardrailEngine.Shapes.cs).
/// </summary>
internal sealed partial class GuardrailEngine
{
    private readonly CompiledGuardrail[] _rules;
    private readonly SqlTextCache<Judgement> _cache;
    private long _regexTimeouts;

    private GuardrailEngine(CompiledGuardrail[] rules, GuardrailEngineOptions options)
    {
        _maxShapedTextBytes = options.MaxCachedTextBytes;
        _rules = rules;
        _cache = new SqlTextCache<Judgement>(options.CacheCapacity, options.MaxCachedTextBytes);
        _shapes = new SqlTextCache<ShapeEntry>(options.CacheCapacity, options.MaxCachedTextBytes);
        _regexRules = [.. rules.Where(r => r.HasRegex)];
    }

    /// <summary>How many times a rule's regular expression timed out (each counted as a match).</summary>
    public long RegexTimeouts => Interlocked.Read(ref _regexTimeouts);

    public int CachedTexts => _cache.Count;

    /// <exception cref="ArgumentException">A rule without a condition, or an invalid regular expression.</exception>
    public static GuardrailEngine Compile(IReadOnlyList<GuardrailRule> rules, GuardrailEngineOptions? options = null)
    {
        options ??= GuardrailEngineOptions.Default;
        return new GuardrailEngine([.. rules.Select(r => new CompiledGuardrail(r, options.RegexTimeout))], options);
    }

    /// <summary>A simple-protocol Query: one or more statements.</summary>
    public GuardrailVerdict Evaluate(ReadOnlySpan<byte> utf8Sql, SqlSession session)
    {
        if (_cache.TryGet(utf8Sql, out var cached))
        {
            return cached.Verdict;
        }

        return EvaluateByShape(utf8Sql, session);
    }

    public GuardrailVerdict Evaluate(string sql, SqlSession session)
    {
        var rented = Pool<byte>.Rent(Encoding.UTF8.GetMaxByteCount(sql.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(sql, rented);
            return Judge(rented.AsSpan(0, length), sql, session).Verdict;
        }
        finally
        {
            Pool<byte>.Return(rented);
        }
    }

    /// <summary>
    /// An extended-protocol Parse. A named statement is remembered in the session (whatever the
    /// verdict: a blocked Parse never reaches the server, and remembering more only fails closed),
    /// so that a later SQL <c>EXECUTE name</c> is judged by what it runs. Bind/Execute of a parsed
    /// statement need no new verdict: the statement cannot change after Parse.
    /// </summary>
    public GuardrailVerdict EvaluateParse(ReadOnlySpan<byte> statementName, ReadOnlySpan<byte> utf8Sql, SqlSession session)
    {
        Judgement judgement;
        session.Parsing = true;
        try
        {
            judgement = Judge(utf8Sql, null, session);
        }
        finally
        {
            session.Parsing = false;
        }

        if (!statementName.IsEmpty)
        {
            session.Define(Encoding.UTF8.GetString(statementName), [.. judgement.Classification.Statements]);
        }

        return judgement.Verdict;
    }

    private Judgement Judge(ReadOnlySpan<byte> utf8Sql, string? sql, SqlSession session)
    {
        if (_cache.TryGet(utf8Sql, out var cached))
        {
            return cached;
        }

        var judgement = Classify(utf8Sql, sql, session);
        if (!judgement.Classification.DependsOnSession)
        {
            _cache.Add(utf8Sql, judgement);
        }

        return judgement;
    }

    private Judgement Classify(ReadOnlySpan<byte> utf8Sql, string? sql, SqlSession session)
    {
        var classification = SqlClassifier.Classify(sql ?? Encoding.UTF8.GetString(utf8Sql), session);
        return new Judgement(Judge(classification), classification);
    }

    /// <summary>Every rule against every statement; one match per rule and top-level statement.</summary>
    internal GuardrailVerdict Judge(SqlClassification classification)
    {
        List<GuardrailMatch>? matches = null;
        var outcome = GuardrailOutcome.None;
        foreach (var rule in _rules)
        {
            foreach (var statement in classification.Statements)
            {
                // Text-only rules read raw top-level text, which holds everything nested in it,
                // except what EXECUTE runs (prepared earlier, maybe under another policy), dynamic
                // SQL's strings (decoded from escapes), bodies written in string pieces (joined) and
                // unknown statements (which they match).
                if ((rule.IsTextOnly && statement.Depth != 0 && !statement.IsUnknown
                        && statement.Origin is not (SqlStatementOrigin.Execute or SqlStatementOrigin.DynamicSql)
                        && !ReferenceEquals(statement.Kind, SqlClassifier.JoinedBody))
                    || AlreadyMatched(matches, rule, statement))
                {
                    continue;
                }

                if (rule.Match(statement) is not { } reason)
                {
                    continue;
                }

                if (reason == GuardrailMatchReason.RegexTimeout)
                {
                    Interlocked.Increment(ref _regexTimeouts);
                }

                (matches ??= []).Add(new GuardrailMatch
                {
                    Rule = rule.Rule,
                    Message = rule.Message,
                    Reason = reason,
                    StatementText = statement.Text.ToString(),
                    StatementCommand = statement.Command,
                    StatementOrigin = statement.Origin,
                    StatementIndex = statement.TopLevelIndex,
                });
                var ruleOutcome = rule.Rule.Action.ToOutcome();
                outcome = ruleOutcome > outcome ? ruleOutcome : outcome;
            }
        }

        return matches is null ? GuardrailVerdict.Allow : new GuardrailVerdict(outcome, matches);
    }

    private static bool AlreadyMatched(List<GuardrailMatch>? matches, CompiledGuardrail rule, SqlStatement statement) =>
        matches is not null && matches.Exists(m => ReferenceEquals(m.Rule, rule.Rule) && m.StatementIndex == statement.TopLevelIndex);

    private sealed record Judgement(GuardrailVerdict Verdict, SqlClassification Classification);
}
