using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

internal sealed partial class Masker
{
    /// <summary>A plan and the version of the catalog it was made with (<see cref="IColumnNameLookup.Version"/>).</summary>
    private sealed record CachedPlan(ResultMaskPlan Plan, long Version);

    /// <summary>
    /// The plan for a RowDescription, cached per (statement text, fields). A column is masked
    /// whole when its name is a masked column; when its source column (table OID and attnum,
    /// resolved by <paramref name="columnNames"/>) is one, however it is aliased; and, failing
    /// closed, when it is computed (table OID 0) or its source is unknown and the statement
    /// names a masked column as an identifier (<c>upper(ssn)</c>, <c>ssn || ''</c>). Other columns
    /// are scanned when their type can carry text. Pass the whole query text of a simple Query:
    /// with several statements the check is only broader.
    /// </summary>
    public ResultMaskPlan GetPlan(ref ResultShape shape, IColumnNameLookup? columnNames)
    {
        if (IsEmpty)
        {
            return ResultMaskPlan.Unmasked;
        }

        var version = columnNames?.Version ?? 0;
        if (_plans.TryGet(shape.Key, out var cached) && cached.Version == version)
        {
            return cached.Plan;
        }

        // No text to read (a statement the gateway did not see parsed, a SQL cursor): fail closed.
        var fields = shape.ReadFields();
        var text = HasColumnRules && !shape.Statement.IsEmpty ? Encoding.UTF8.GetString(shape.Statement) : null;
        var mentionsMasked = HasColumnRules
            && (text is null || MentionsMaskedColumnInResults(text, columnNames) && !IsQueryPlan(text, fields, columnNames));
        var plan = Plan(fields, mentionsMasked, columnNames, out var complete);
        if (complete)
        {
            _plans.Add(shape.Key, new CachedPlan(plan, version));
        }

        return plan;
    }

    /// <summary>
    /// The plan for a RowDescription of a statement already read (<paramref name="mentionsMasked"/>:
    /// <see cref="MentionsMaskedColumnInResults"/> of its text), for the many result sets of one
    /// Query, which read the whole text once instead of once each. Not cached: the caller keeps it.
    /// </summary>
    public ResultMaskPlan GetPlan(IReadOnlyList<ResultField> fields, bool mentionsMasked, IColumnNameLookup? columnNames)
    {
        return IsEmpty ? ResultMaskPlan.Unmasked : Plan(fields, mentionsMasked && HasColumnRules, columnNames, out _);
    }

    /// <param name="complete">False when a column's source was unknown to <paramref name="columnNames"/>: such a plan is not kept.</param>
    private ResultMaskPlan Plan(IReadOnlyList<ResultField> fields, bool mentionsMasked, IColumnNameLookup? columnNames, out bool complete)
    {
        complete = true;
        var columns = new ColumnMask[fields.Count];
        List<string>? withheld = null;
        for (var i = 0; i < fields.Count; i++)
        {
            var action = Decide(fields[i], mentionsMasked, columnNames, ref complete, out var failingClosed);
            columns[i] = ColumnMask.For(action, fields[i].TypeOid);
            if (failingClosed)
            {
                (withheld ??= []).Add(fields[i].Name);
            }
        }

        return new ResultMaskPlan(columns, withheld);
    }

    public ResultMaskPlan GetPlan(string statement, IReadOnlyList<ResultField> fields, IColumnNameLookup? columnNames)
    {
        var shape = new ResultShape(Encoding.UTF8.GetBytes(statement));
        try
        {
            foreach (var field in fields)
            {
                shape.AddField(field);
            }

            return GetPlan(ref shape, columnNames);
        }
        finally
        {
            shape.Dispose();
        }
    }

    /// <summary>
    /// The one column of an EXPLAIN's answer, whose text is the plan: node names, costs, counts and
    /// the expressions of the query as written (its literals still go through the detectors), never
    /// a column's values, so naming a masked column in the query does not mask it whole (probe DA4:
    /// a plan of a query selecting ssn came back as rows of ****). Not when the statement names, in
    /// any clause, a view or a function already in the database that carries one: an IMMUTABLE
    /// function's result is folded into the plan as a constant, filters included (probe DC1).
    /// </summary>
    private bool IsQueryPlan(string text, IReadOnlyList<ResultField> fields, IColumnNameLookup? columnNames)
    {
        if (fields is not [{ Name: "QUERY PLAN", TableOid: 0, TypeOid: PgTypes.Text or PgTypes.Json or PgTypes.Xml }])
        {
            return false;
        }

        var statements = SqlClassifier.Classify(text);
        return !statements.HasUnknown && statements.TopLevelCount == 1 && statements.Statements is [{ Kind: "EXPLAIN" }, ..]
            && !NamesRenamingView(text, Tokens(text), columnNames) && !ExplainsWriteVerbosely(text);
    }

    /// <param name="failingClosed">
    /// Set when the client is told the column is withheld (<see cref="ResultMaskPlan.Withheld"/>): masked whole
    /// only because its source is not known to be clean, or carrying a masked column under another name as NULL.
    /// </param>
    private ColumnMaskAction Decide(ResultField field, bool mentionsMasked, IColumnNameLookup? columnNames, ref bool complete, out bool failingClosed)
    {
        failingClosed = false;
        if (_columns.Contains(field.Name))
        {
            return ColumnMaskAction.MaskWhole;
        }

        if (HasColumnRules)
        {
            if (field.TableOid == 0)
            {
                if (mentionsMasked)
                {
                    failingClosed = true;
                    return ColumnMaskAction.MaskWhole;
                }
            }
            else if (columnNames is not null && columnNames.TryGetColumnName(field.TableOid, field.AttributeNumber, out var source))
            {
                if (_columns.Contains(source))
                {
                    // Under a name of its own (a view's column computed from one, an alias) in a type
                    // that takes no ****, its NULL is not the data: told so (probe DT5: a view's
                    // has_card, computed from card_number, came back NULL unsaid).
                    failingClosed = !string.Equals(source, field.Name, StringComparison.Ordinal)
                        && WholeReplacement(PgTypes.Classify(field.TypeOid), binary: false) is null;
                    return ColumnMaskAction.MaskWhole;
                }
            }
            else
            {
                complete = false;
                if (mentionsMasked)
                {
                    failingClosed = true;
                    return ColumnMaskAction.MaskWhole;
                }
            }
        }

        if (HasValueDetection && field.TypeOid is PgTypes.TsVector or PgTypes.TsQuery)
        {
            // A tsvector sorts a text's words: a card's digit groups come out apart and reordered,
            // past every detector, with their positions to put them back. Masked whole.
            return ColumnMaskAction.MaskWhole;
        }

        return HasValueDetection && (PgTypes.Classify(field.TypeOid) != PgValueClass.Fixed || IsGeometry(field.TypeOid))
            ? ColumnMaskAction.Detect
            : ColumnMaskAction.Pass;
    }
}
