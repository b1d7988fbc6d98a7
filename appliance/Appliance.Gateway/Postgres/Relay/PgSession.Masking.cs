using Appliance.Policy.Masking;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Primitives;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>Masking on the upstream thread: every DataRow before it leaves the gateway (COPY OUT lines: PgSession.CopyOut.cs).</summary>
internal sealed partial class PgSession
{
    private readonly DataRowRewriter _rewriter = new();

    private ResultShapeInfo? _lastShape;
    private ResultMaskPlan? _lastPlan;
    private Masker? _lastPlanMasker;

    /// <summary>The statement text the last plan that needed one was made for, and (once asked) whether it names a masked column.</summary>
    private byte[]? _textPlanned;
    private bool? _textMentions;
    private Masker? _textMentionsMasker;

    private static List<ResultField> Fields(ResultShapeInfo shape)
    {
        var fields = new List<ResultField>(shape.Count);
        foreach (var field in RowDescriptionMessage.Parse(shape.Body))
        {
            fields.Add(new ResultField(System.Text.Encoding.UTF8.GetString(field.Name), field.TableOid, field.ColumnAttributeNumber, field.TypeOid));
        }

        return fields;
    }

    /// <summary>The statement text <see cref="_lastPlan"/> was read from (the same array for every result of one Query), or null if it holds for any.</summary>
    private byte[]? _lastPlanText;

    /// <summary>
    /// The masking plan of a result shape. The statement text only matters to the masker for a
    /// column it cannot trace to a table column (a computed one, or one of a relation newer than
    /// the catalog snapshot); when every column is traced, the plan is keyed by the shape alone,
    /// so statements that differ only in their literals share one cached plan.
    /// </summary>
    private ResultMaskPlan PlanFor(Masker masker, ResultShapeInfo shape, byte[]? statementText, out bool needsText)
    {
        needsText = false;
        if (masker.IsEmpty)
        {
            return ResultMaskPlan.Unmasked;
        }

        needsText = masker.HasColumnRules && !(shape.AllFromTables && CatalogKnowsAll(shape));
        if (needsText && UnknownMayHoldMasked && ReadsUnknownRelation(shape))
        {
            return masker.GetPlan(Fields(shape), mentionsMasked: true, _catalog);
        }

        if (needsText && statementText is not null && ReferenceEquals(statementText, _textPlanned))
        {
            // Another result set of the same Query (SELECT 1; SELECT 'a', 2; …): its text is read
            // once, not once per result set with a shape of its own, which made 100,000 statements of
            // alternating shapes cost quadratic time (probe AG). The first goes through the masker's
            // cache, keyed by text, which serves the same statement run again.
            if (!ReferenceEquals(masker, _textMentionsMasker) || _textMentions is not { } mentions)
            {
                // No text to read fails closed, as the masker's own plans do.
                mentions = statementText.Length == 0 || masker.MentionsMaskedColumnInResults(System.Text.Encoding.UTF8.GetString(statementText), _catalog);
                (_textMentions, _textMentionsMasker) = (mentions, masker);
            }

            return masker.GetPlan(Fields(shape), mentions, _catalog);
        }

        (_textPlanned, _textMentions) = (needsText ? statementText : null, null);
        var shapeKey = new ResultShape(needsText ? statementText : default);
        try
        {
            foreach (var field in RowDescriptionMessage.Parse(shape.Body))
            {
                shapeKey.AddField(field.Name, field.TableOid, field.ColumnAttributeNumber, field.TypeOid);
            }

            return masker.GetPlan(ref shapeKey, _catalog);
        }
        finally
        {
            shapeKey.Dispose();
        }
    }

    /// <summary>
    /// A RowDescription's shape and plan. Queries that differ in their literals (or the same
    /// statement described again) return the same RowDescription, so the last one whose plan did
    /// not depend on the statement text is reused when the bytes match, for as long as the policy
    /// is the same: a compare instead of a cache lookup and a plan key per statement.
    /// </summary>
    private (ResultShapeInfo Shape, ResultMaskPlan Plan) ShapeAndPlan(Masker masker, ReadOnlySpan<byte> body, byte[]? statementText)
    {
        if (_lastShape is { } last && ReferenceEquals(masker, _lastPlanMasker)
            && (_lastPlanText is null || ReferenceEquals(statementText, _lastPlanText)) && body.SequenceEqual(last.Body))
        {
            return (last, _lastPlan!);
        }

        var shape = ResultShapeInfo.From(body);
        var plan = PlanFor(masker, shape, statementText, out var needsText);
        if (!needsText || statementText is not null)
        {
            // A plan read from the statement's text holds for that text: the result sets of one
            // Query of many statements (100,000 × SELECT 1;) share it, where reading the whole text
            // again for each made the Query cost quadratic time (probe AE).
            (_lastShape, _lastPlan, _lastPlanMasker, _lastPlanText) = (shape, plan, masker, needsText ? statementText : null);
        }

        return (shape, plan);
    }

    /// <summary>
    /// Before a result whose plan withholds columns only to fail closed (computed ones, or of a
    /// relation made since the login, in a statement reading a masked column), a notice naming
    /// them, so a NULL or <c>****</c> in them is not taken for the data (probe DA7, DK2). Once per
    /// plan until the next ReadyForQuery, and across them while the statements are FETCHes: a
    /// Query's many result sets and psql's FETCH loop share one (review R7: a statement run again
    /// had none, its plan being the cached one).
    /// </summary>
    /// <param name="fetchesCursor">An extended-protocol statement that is a FETCH (planned with its cursor's query).</param>
    /// <param name="query">A simple Query's record, whose text tells a FETCH: read only when a notice goes out, off a read's hot path.</param>
    private void NoticeWithheld(ResultMaskPlan plan, bool fetchesCursor, StatementTrace? query = null)
    {
        if (plan.Withheld is not { } names || ReferenceEquals(plan, _noticedPlan) || _mute)
        {
            return;
        }

        _noticedPlan = plan;
        _noticedFetch = fetchesCursor || query is not null && query.Sql.AsSpan().TrimStart().StartsWith("FETCH", StringComparison.OrdinalIgnoreCase);
        const int Listed = 5;
        var listed = string.Join(", ", names.Take(Listed).Select(n => "\"" + n + "\""));
        var more = names.Count > Listed ? $" and {names.Count - Listed} more" : "";
        _clientOut.Write(LocalMessages.Notice(
            $"the gateway withholds column{(names.Count == 1 ? "" : "s")} {listed}{more} of this result (NULL or ****): the statement reads a masked column, " +
            "and these are computed, also in a view, or come from a relation this session's catalog does not know",
            "Select the columns from their tables without computing on a masked column; a relation made since this session logged in is known from the next login."));
    }

    private bool _noticedFetch;

    /// <summary>At a ReadyForQuery: the next statement's withheld columns are named again, unless it goes on fetching.</summary>
    private void ForgetNoticeUnlessFetching()
    {
        if (!_noticedFetch)
        {
            _noticedPlan = null;
        }
    }

    private ResultMaskPlan? _noticedPlan;

    /// <summary>A described portal's result, kept on its statement for the next portals bound the same way (<see cref="StatementResult"/>).</summary>
    private static void RememberResult(PortalState portal, Masker masker)
    {
        // A FETCH's result type is its cursor's, which may change between two Executes.
        if (!ReferenceEquals(portal.Statement, StatementInfo.Unknown) && !portal.Statement.FetchesCursor && portal.Plan is { } plan)
        {
            portal.Statement.Result = new StatementResult(portal.StatementGeneration, portal.ResultFormats, portal.Shape, plan, masker);
        }
    }

    /// <summary>
    /// Whether a relation the session's catalog does not know may hold a masked column's values: the
    /// database has functions that may return one, and such a function (called, or fired by a
    /// trigger) may have made one since the login (probe DL9: a function's CREATE TABLE … AS; DP5: a
    /// trigger's). A result reading such a relation is then planned as one reading a masked column:
    /// its columns from that relation, and its computed ones, are withheld, with a notice.
    /// </summary>
    private bool UnknownMayHoldMasked => _catalog.HasFunctions;

    private bool ReadsUnknownRelation(ResultShapeInfo shape)
    {
        foreach (var field in RowDescriptionMessage.Parse(shape.Body))
        {
            if (field.TableOid != 0 && !_catalog.TryGetColumnName(field.TableOid, field.ColumnAttributeNumber, out _))
            {
                return true;
            }
        }

        return false;
    }

    private bool CatalogKnowsAll(ResultShapeInfo shape)
    {
        foreach (var field in RowDescriptionMessage.Parse(shape.Body))
        {
            if (!_catalog.TryGetColumnName(field.TableOid, field.ColumnAttributeNumber, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// One DataRow through the plan: untouched columns are copied as they are, masked ones
    /// replaced (in the column's own format), and a row with nothing to change is relayed as
    /// received. Without a known result shape every value becomes NULL (fail closed).
    /// </summary>
    private void MaskRow(PgSpanFrame frame, ResultShapeInfo? shape, ResultMaskPlan? plan)
    {
        if (plan is { PassesAll: true } || _mute)
        {
            Relay(frame);
            return;
        }

        var row = DataRowMessage.Parse(frame.Body);
        var masker = _runtime.Masker;
        _rewriter.Reset();
        var column = 0;
        foreach (var value in row.Columns)
        {
            if (!value.IsNull)
            {
                if (plan is null)
                {
                    _rewriter.ReplaceWithNull(column);
                }
                else if (plan[column] is { Action: not ColumnMaskAction.Pass } mask)
                {
                    _scratch.ResetWrittenCount();
                    switch (masker.MaskValue(value.Bytes, mask, shape?.IsBinary(column) ?? false, _scratch))
                    {
                        case MaskResult.Replaced:
                            _rewriter.Replace(column, _scratch.WrittenSpan);
                            break;
                        case MaskResult.Null:
                            _rewriter.ReplaceWithNull(column);
                            break;
                    }
                }
            }

            column++;
        }

        if (_rewriter.ReplacementCount == 0)
        {
            Relay(frame);
            return;
        }

        _rewriter.WriteTo(_clientOut, row);
    }

    /// <summary>
    /// One of a statement's first rows, as the client received it (masked), for the audit log. A
    /// password is no column a detector knows: a statement that names one (<c>SHOW my.password</c>,
    /// <c>current_setting('app.password')</c>, <c>SELECT password FROM …</c>) keeps no values in its
    /// samples, and a row that names one (<c>pg_settings</c>' <c>my.password</c> row) keeps none of
    /// its own (probe AX).
    /// </summary>
    private static void Sample(StatementTrace trace, ResultShapeInfo? shape, ReadOnlySpan<byte> message)
    {
        var row = DataRowMessage.Parse(message[PgLimits.MessageHeaderLength..]);
        var values = new string?[row.ColumnCount];
        var hidden = trace.MayCarrySecret;
        var i = 0;
        foreach (var value in row.Columns)
        {
            if (!value.IsNull)
            {
                values[i] = SampleValues.Render(value.Bytes, shape is { } s && i < s.Count ? s.TypeOids[i] : 0, shape?.IsBinary(i) ?? false, out var heldSecret);
                hidden |= heldSecret;
            }

            i++;
        }

        if (hidden)
        {
            for (i = 0; i < values.Length; i++)
            {
                values[i] = values[i] is null ? null : SampleValues.Hidden;
            }
        }

        (trace.Samples ??= []).Add(values);
    }
}
