using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// Whole-row references: <c>SELECT c FROM customers c</c>, <c>row_to_json(customers)</c>,
/// <c>c.*</c> inside an expression. A row value carries every column of its relation, masked
/// ones included, without naming any, and comes back as one computed column that an
/// expression can reshape past the value detectors (<c>translate(c::text, '0123…', 'abcd…')</c>).
/// A from-item that can hold a table's columns (a relation, a WITH query, a subquery passing
/// columns on through <c>*</c>) used as a value therefore counts as naming a masked column.
/// Functions' aliases (<c>generate_series(1, 3) g</c>) do not: their columns come from their
/// arguments, where a masked column would be named.
/// </summary>
internal sealed partial class Masker
{
    /// <summary>The names (folded) by which the statement's from-items that may carry a table's columns can be referred to.</summary>
    private static HashSet<string>? RowSourceNames(string text, List<SqlToken> tokens, IColumnNameLookup? relations, TokenIndex index) =>
        RowSourceNames(text, tokens, relations, index, out _);

    /// <param name="relationOf">
    /// Each name that is a relation's, or an alias given to one right after it, and the relations
    /// it stands for (more than one where a statement gives one alias twice).
    /// </param>
    private static HashSet<string>? RowSourceNames(
        string text, List<SqlToken> tokens, IColumnNameLookup? relations, TokenIndex index, out Dictionary<string, List<string>>? relationOf)
    {
        var withQueries = WithQueryNames(text, tokens, index);
        relationOf = null;
        var names = TargetNames(text, tokens, relations, withQueries, ref relationOf);
        var lastRelation = -1;
        var first = 0;
        var inFrom = new Stack<bool>();
        inFrom.Push(false);
        var functionItem = new Stack<bool>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            switch (token.Kind)
            {
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when inFrom.Peek() && HoldsNoMaskedColumn(text, tokens, i, relations, withQueries):
                    // pg_namespace t, orders o: neither the relation nor its alias holds a masked column.
                    i = SkipAlias(text, tokens, i);
                    EndIfForQuery(inFrom, text, tokens, i);
                    break;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when inFrom.Peek() && IsRowSourceName(text, tokens, i):
                    var name = SqlLiteral.Identifier(text, token);
                    (names ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
                    lastRelation = NoteRelation(text, tokens, i, name, lastRelation, withQueries, ref relationOf);

                    EndIfForQuery(inFrom, text, tokens, i);
                    break;
                case SqlTokenKind.Word:
                    UpdateClause(inFrom, text, tokens, i, index);
                    break;
                case SqlTokenKind.Semicolon:
                    inFrom.Pop();
                    inFrom.Push(false);
                    break;
                case SqlTokenKind.OpenParen:
                    // (USING (TABLE customers) c: a clause's keyword, not a function's name.)
                    var function = i > 0 && tokens[i - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                        && !NotAnAlias.Contains(Word(text, tokens[i - 1]).ToString())
                        && !(tokens[i - 1].Kind == SqlTokenKind.Word && IsClauseEnd(Word(text, tokens[i - 1])));
                    functionItem.Push(function);

                    // FROM (customers c CROSS JOIN x), FROM ((…)): a parenthesized join's from-items are the FROM's own;
                    // what starts with a query, after any number of parentheses, is a subquery. (A run of
                    // parentheses shares its first token after them: found once, not once per parenthesis.)
                    first = Math.Max(first, i + 1);
                    while (first < tokens.Count && tokens[first].Kind == SqlTokenKind.OpenParen)
                    {
                        first++;
                    }

                    inFrom.Push(inFrom.Peek() && !function && !(first < tokens.Count && IsWordIn(text, tokens[first], QueryStarts)));
                    break;
                case SqlTokenKind.CloseParen when inFrom.Count > 1:
                    inFrom.Pop();
                    var wasFunction = functionItem.Count > 0 && functionItem.Pop();
                    if (inFrom.Peek() && (wasFunction || !SubqueryPassesColumnsUnnamed(text, tokens, i, index)))
                    {
                        // The alias that follows names a function's result or a subquery's named columns.
                        i = SkipAlias(text, tokens, i);
                        EndIfForQuery(inFrom, text, tokens, i);
                    }

                    break;
            }
        }

        return names;
    }

    /// <summary>
    /// Notes the relation a row source's name at <paramref name="i"/> stands for: its own when it
    /// follows no relation (a table's name; a WITH query's has none), else the relation's it
    /// follows, with or without AS (<c>customers c</c>). Returns the relation's token, if it is one.
    /// </summary>
    private static int NoteRelation(
        string text, List<SqlToken> tokens, int i, string name, int lastRelation, HashSet<string>? withQueries, ref Dictionary<string, List<string>>? relationOf)
    {
        var asWord = i > 0 && IsWord(text, tokens[i - 1], "AS");
        if (lastRelation >= 0 && (lastRelation == i - 1 || (lastRelation == i - 2 && asWord)))
        {
            AddRelation(ref relationOf, name, SqlLiteral.Identifier(text, tokens[lastRelation]));
            return -1;
        }

        var before = asWord ? i - 2 : i - 1;
        if ((before >= 0 && tokens[before].Kind == SqlTokenKind.CloseParen) || withQueries?.Contains(name) == true)
        {
            // A subquery's alias, a WITH query: no relation's columns.
            return -1;
        }

        AddRelation(ref relationOf, name, name);
        return i;
    }

    private static void AddRelation(ref Dictionary<string, List<string>>? relationOf, string name, string relation)
    {
        relationOf ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!relationOf.TryGetValue(name, out var list))
        {
            relationOf[name] = list = [];
        }

        if (!list.Contains(relation))
        {
            list.Add(relation);
        }
    }

    /// <summary>An alias that is PL/pgSQL's LOOP (<see cref="EndsForQuery"/>) ends the FROM: what follows is the loop's body.</summary>
    private static void EndIfForQuery(Stack<bool> inFrom, string text, List<SqlToken> tokens, int i)
    {
        if (EndsForQuery(text, tokens, i))
        {
            inFrom.Pop();
            inFrom.Push(false);
        }
    }

    /// <summary>Words before an UPDATE that is no statement's: <c>FOR [NO KEY] UPDATE</c>, <c>DO UPDATE</c>, <c>ON UPDATE</c>, <c>THEN UPDATE</c>, a trigger's event.</summary>
    private static readonly HashSet<string> NotAnUpdateStatement = new(StringComparer.OrdinalIgnoreCase) { "FOR", "KEY", "DO", "ON", "THEN", "BEFORE", "AFTER", "OR", "OF", "INSTEAD" };

    /// <summary>
    /// The table an UPDATE, INSERT or MERGE writes, and its alias: its rows are row values too
    /// (<c>UPDATE customers c SET note = to_jsonb(c)->>'ssn'</c>, <c>… RETURNING to_jsonb(c)</c>, the
    /// existing row an <c>ON CONFLICT DO UPDATE</c> returns), though no FROM lists them (probe AR).
    /// </summary>
    private static HashSet<string>? TargetNames(
        string text, List<SqlToken> tokens, IColumnNameLookup? relations, HashSet<string>? withQueries, ref Dictionary<string, List<string>>? relationOf)
    {
        HashSet<string>? names = null;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            var update = IsWord(text, tokens[i], "UPDATE") && !(i > 0 && IsWordIn(text, tokens[i - 1], NotAnUpdateStatement));
            var into = IsWord(text, tokens[i], "INTO") && i > 0 && (IsWord(text, tokens[i - 1], "INSERT") || IsWord(text, tokens[i - 1], "MERGE"));
            if (!update && !into)
            {
                continue;
            }

            var j = i + 1;
            if (IsWord(text, tokens[j], "ONLY"))
            {
                j++;
            }

            // schema.table: the table's name is the last part.
            while (j + 2 < tokens.Count && tokens[j].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsDot(text, tokens[j + 1]))
            {
                j += 2;
            }

            if (!IsPlainName(text, tokens, j))
            {
                continue;
            }

            var name = SqlLiteral.Identifier(text, tokens[j]);
            if (HoldsNoMaskedColumn(name, relations, withQueries))
            {
                continue;
            }

            (names ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
            var isRelation = withQueries?.Contains(name) != true;
            if (isRelation)
            {
                AddRelation(ref relationOf, name, name);
            }

            var alias = j + 1;
            if (alias < tokens.Count && tokens[alias].Kind == SqlTokenKind.Other && text[tokens[alias].Start] == '*')
            {
                alias++;
            }

            if (alias < tokens.Count && IsWord(text, tokens[alias], "AS"))
            {
                alias++;
            }

            if (IsPlainName(text, tokens, alias))
            {
                names.Add(SqlLiteral.Identifier(text, tokens[alias]));
                if (isRelation)
                {
                    AddRelation(ref relationOf, SqlLiteral.Identifier(text, tokens[alias]), name);
                }
            }
        }

        return names;
    }

    /// <summary>An identifier that is no keyword: a relation's name or alias (INSERT INTO t (a, b): a column list may follow it).</summary>
    private static bool IsPlainName(string text, List<SqlToken> tokens, int i) =>
        i < tokens.Count && tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
        && !(tokens[i].Kind == SqlTokenKind.Word && (NotAnAlias.Contains(Word(text, tokens[i]).ToString()) || IsClauseEnd(Word(text, tokens[i]))));

    /// <summary><c>UPDATE [ONLY] [schema.]t [*] [AS] alias</c>, <c>INSERT INTO t AS alias</c>: the alias being given, not a use of the row.</summary>
    private static bool IsTargetAlias(string text, List<SqlToken> tokens, int i)
    {
        var j = i - 1;
        if (j >= 0 && IsWord(text, tokens[j], "AS"))
        {
            j--;
        }

        if (j >= 0 && tokens[j].Kind == SqlTokenKind.Other && text[tokens[j].Start] == '*')
        {
            j--;
        }

        if (j < 0 || tokens[j].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return false;
        }

        j--;
        while (j > 0 && IsDot(text, tokens[j]) && tokens[j - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            j -= 2;
        }

        return j >= 0 && IsTargetKeyword(text, tokens[j]);
    }

    /// <summary>Where a from-item's relation name stands (after FROM, JOIN, ONLY, a comma or a schema's dot): not an alias.</summary>
    private static bool IsFromItemName(string text, List<SqlToken> tokens, int i)
    {
        if (i == 0 || (i + 1 < tokens.Count && (tokens[i + 1].Kind == SqlTokenKind.OpenParen || IsDot(text, tokens[i + 1]))))
        {
            return false;
        }

        var previous = tokens[i - 1];
        return previous.Kind == SqlTokenKind.Comma || IsDot(text, previous)
            || (previous.Kind == SqlTokenKind.Word && IsFromItemStart(Word(text, previous)));
    }

    /// <summary>
    /// A from-item's relation whose rows hold no masked column: the catalog read at login says so
    /// or, where it knows no such name, the name is a system catalog's. Only the relation's name
    /// decides, never an alias (<c>FROM customers pg_class</c> is customers' row), and never the
    /// name of one of the statement's WITH queries, which hides any relation of that name
    /// (<c>WITH pg_w AS (TABLE customers)</c>).
    /// </summary>
    private static bool HoldsNoMaskedColumn(string text, List<SqlToken> tokens, int i, IColumnNameLookup? relations, HashSet<string>? withQueries)
    {
        if (!IsFromItemName(text, tokens, i))
        {
            return false;
        }

        return HoldsNoMaskedColumn(SqlLiteral.Identifier(text, tokens[i]), relations, withQueries);
    }

    private static bool HoldsNoMaskedColumn(string relation, IColumnNameLookup? relations, HashSet<string>? withQueries) =>
        withQueries?.Contains(relation) != true
        && (relations?.RelationHasMaskedColumn(relation) ?? (IsSystemCatalog(relation) ? false : null)) == false;

    /// <summary>
    /// The names a statement gives its WITH queries (<c>name [(…)] AS [[NOT] MATERIALIZED] (</c>),
    /// wherever they stand; a name taken for one by mistake only makes its whole row count.
    /// </summary>
    private static HashSet<string>? WithQueryNames(string text, List<SqlToken> tokens, TokenIndex index)
    {
        HashSet<string>? names = null;
        for (var i = 0; i + 2 < tokens.Count; i++)
        {
            if (tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                continue;
            }

            var next = i + 1;
            if (tokens[next].Kind == SqlTokenKind.OpenParen)
            {
                // name (a, b) AS (…): past the column list.
                next = index.Match(next) is var close and >= 0 ? close + 1 : tokens.Count;
            }

            if (next + 1 < tokens.Count && IsWord(text, tokens[next], "AS") && StartsWithQueryBody(text, tokens, next + 1))
            {
                (names ??= new HashSet<string>(StringComparer.Ordinal)).Add(SqlLiteral.Identifier(text, tokens[i]));
            }
        }

        return names;
    }

    private static bool StartsWithQueryBody(string text, List<SqlToken> tokens, int i)
    {
        if (i < tokens.Count && IsWord(text, tokens[i], "NOT"))
        {
            i++;
        }

        if (i < tokens.Count && IsWord(text, tokens[i], "MATERIALIZED"))
        {
            i++;
        }

        return i < tokens.Count && tokens[i].Kind == SqlTokenKind.OpenParen;
    }

    private static bool IsWord(string text, SqlToken token, string word) =>
        token.Kind == SqlTokenKind.Word && Word(text, token).Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>A relation's name or alias in a from-list: not a keyword, not a function's name, not a schema qualifier.</summary>
    private static bool IsRowSourceName(string text, List<SqlToken> tokens, int i) =>
        IsPlainName(text, tokens, i) && (i + 1 >= tokens.Count || !(tokens[i + 1].Kind == SqlTokenKind.OpenParen || IsDot(text, tokens[i + 1])));

    /// <summary>
    /// The system catalogs (<c>pg_class</c>, <c>pg_tables</c>…) hold no table's values; the ones
    /// that do (the planner's statistics, large objects) are refused by the flow check or need a
    /// superuser, and stay row sources here all the same.
    /// </summary>
    private static bool IsSystemCatalog(string name) =>
        name.StartsWith("pg_", StringComparison.Ordinal) && !name.StartsWith("pg_stat", StringComparison.Ordinal)
        && name != "pg_largeobject" && !(name.Length > 3 && name[3] == 't' && name.StartsWith("pg_temp", StringComparison.Ordinal));

    /// <summary>Past <c>[AS] alias</c> after the parenthesis at <paramref name="close"/>.</summary>
    private static int SkipAlias(string text, List<SqlToken> tokens, int close)
    {
        var next = close + 1;
        if (next < tokens.Count && tokens[next].Kind == SqlTokenKind.Word && Word(text, tokens[next]).Equals("AS", StringComparison.OrdinalIgnoreCase))
        {
            next++;
        }

        return IsPlainName(text, tokens, next) ? next : close;
    }

    /// <summary>
    /// <paramref name="i"/> refers to a whole row of one of <paramref name="names"/>: the name
    /// alone (not <c>c.col</c>, not <c>x.c</c>) or <c>c.*</c>.
    /// </summary>
    /// <param name="relationOf">The relations names stand for (<see cref="RowSourceNames(string, List{SqlToken}, IColumnNameLookup?, TokenIndex, out Dictionary{string, List{string}}?)"/>).</param>
    /// <param name="relations">Where their columns are looked up.</param>
    private static bool IsWholeRowUse(
        string text, List<SqlToken> tokens, int i, HashSet<string> names, TokenIndex index,
        Dictionary<string, List<string>>? relationOf = null, IColumnNameLookup? relations = null)
    {
        if (!names.Contains(SqlLiteral.Identifier(text, tokens[i])) || (i > 0 && IsTargetKeyword(text, tokens[i - 1]))
            || IsTargetAlias(text, tokens, i))
        {
            return false;
        }

        if (i > 0 && IsDot(text, tokens[i - 1]))
        {
            // x.c is a column c of x, unless x is the relation's schema (and database): then
            // public.customers.* and public.customers.row_to_json are the row, as customers.* is
            // (probe DV1: they gave every masked column out).
            var start = QualifiedNameStart(text, tokens, i);
            return start < i && i - start <= 4 && i + 2 < tokens.Count && IsDot(text, tokens[i + 1])
                && ((tokens[i + 2].Kind == SqlTokenKind.Other && text[tokens[i + 2].Start] == '*' && !IsSelectListItem(text, tokens, start, i, index))
                    || IsFunctionOfRow(text, tokens, i, i + 2, relationOf, relations));
        }

        if (i > 0 && IsOutputName(text, tokens, i, index))
        {
            return false;
        }

        if (i > 0 && IsWord(text, tokens[i - 1], "END"))
        {
            // A CASE's END is followed by its output name; a body's END by LOOP, IF or CASE (probe
            // AK2: FOR r IN SELECT id FROM orders LOOP … END LOOP took "loop" for the table's alias).
            return false;
        }

        // (c).col is c.col, a field of the row in parentheses: one column, named (probe DR1:
        // INSERT … SELECT (c).full_name … WHERE (c).ssn LIKE … was refused as a whole-row copy).
        var after = i > 0 && tokens[i - 1].Kind == SqlTokenKind.OpenParen && i + 2 < tokens.Count
            && tokens[i + 1].Kind == SqlTokenKind.CloseParen && IsDot(text, tokens[i + 2]) ? i + 2 : i + 1;
        if (after >= tokens.Count)
        {
            return true;
        }

        var next = tokens[after];
        if (IsDot(text, next))
        {
            // c.* in an expression, or a function called in attribute notation on the row:
            // c.row_to_json is row_to_json(c). A select list's item c.* is no row: it stands for
            // c's columns, each masked by its name as under SELECT * (probe AA: DBeaver counts rows
            // with SELECT COUNT(*) FROM (SELECT t.* FROM orders t) and got NULL).
            return after + 1 < tokens.Count
                && ((tokens[after + 1].Kind == SqlTokenKind.Other && text[tokens[after + 1].Start] == '*' && !IsSelectListItem(text, tokens, i, i, index))
                    || IsFunctionOfRow(text, tokens, i, after + 1, relationOf, relations));
        }

        // A function's name, or a WITH query being defined (t(…) AS (…), t AS [NOT] [MATERIALIZED] (…)).
        return next.Kind != SqlTokenKind.OpenParen && !IsWithDefinition(text, tokens, i + 1);
    }

    /// <summary>
    /// The name at <paramref name="field"/>, after <c>c.</c> (<paramref name="i"/> is c), is a
    /// function or cast applied to c's whole row in attribute notation, not a column of c: one of
    /// pg_catalog's that take a row, or any name that is not a column of the relation c stands for.
    /// That covers what a statement cannot see: the database's own functions, one made since the
    /// login, a superuser's implicit cast of the row to text (<c>c.upper</c>; probe DV4–DV6).
    /// </summary>
    private static bool IsFunctionOfRow(
        string text, List<SqlToken> tokens, int i, int field, Dictionary<string, List<string>>? relationOf, IColumnNameLookup? relations)
    {
        if (tokens[field].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return false;
        }

        var name = SqlLiteral.Identifier(text, tokens[field]);
        if (RowFunctions.Contains(name))
        {
            return true;
        }

        // c.f(…) is a function f in a schema named c. A name of x's only, or gateway_filter, is a masked
        // column's name a write's check set aside (UnnamedCopy, WithoutCleanSubqueries; probe ED3: an
        // UPDATE filtering on c.ssn in a subquery was refused as copying the row).
        if (relations is null || relationOf is null || (field + 1 < tokens.Count && tokens[field + 1].Kind == SqlTokenKind.OpenParen)
            || SystemColumns.Contains(name) || name.AsSpan().TrimStart(SetAside).IsEmpty || name == FilterPlaceholder
            || !relationOf.TryGetValue(SqlLiteral.Identifier(text, tokens[i]), out var relationNames))
        {
            return false;
        }

        foreach (var relation in relationNames)
        {
            if (relations.ColumnsOf(relation) is { } columns && !columns.Contains(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every table's system columns (<c>oid</c> was one of tables made WITH OIDS, before PostgreSQL 12).</summary>
    private static readonly HashSet<string> SystemColumns = new(StringComparer.Ordinal) { "tableoid", "ctid", "xmin", "xmax", "cmin", "cmax", "oid" };

    private static readonly HashSet<string> SelectListStarts = new(StringComparer.OrdinalIgnoreCase) { "SELECT", "WITH" };

    private static readonly HashSet<string> AfterSelectItem = new(StringComparer.OrdinalIgnoreCase)
    {
        "FROM", "INTO", "UNION", "INTERSECT", "EXCEPT", "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "WINDOW",
    };

    /// <summary>
    /// <c>c.*</c> at <paramref name="i"/> is a whole item of a select list: after SELECT, DISTINCT,
    /// ALL or RETURNING, or after a comma of that list (not of a function's arguments or a row
    /// constructor: the parenthesis it stands in, if any, opens a query), and followed by the next
    /// item, the list's end or its clause's.
    /// </summary>
    /// <param name="start">Where the item's name starts (a schema before the relation's name: <c>public.t.*</c>).</param>
    /// <param name="i">The relation's name, before <c>.*</c>.</param>
    private static bool IsSelectListItem(string text, List<SqlToken> tokens, int start, int i, TokenIndex index)
    {
        var after = i + 3;
        if (start == 0 || (after < tokens.Count && tokens[after].Kind is not (SqlTokenKind.Comma or SqlTokenKind.CloseParen or SqlTokenKind.Semicolon)
            && !IsWordIn(text, tokens[after], AfterSelectItem)))
        {
            return false;
        }

        var previous = tokens[start - 1];
        if (IsWordIn(text, previous, BeforeStar))
        {
            return true;
        }

        // The comma's list is a query's when its parenthesis opens one: (SELECT a, t.* …), not f((a), t.*).
        return previous.Kind == SqlTokenKind.Comma
            && (index.Enclosing(start) is not (var open and >= 0) || (open + 1 < tokens.Count && IsWordIn(text, tokens[open + 1], SelectListStarts)));
    }

    /// <summary>Where the dotted name ending at <paramref name="i"/> starts (<c>db.schema.t</c>: at <c>db</c>).</summary>
    private static int QualifiedNameStart(string text, List<SqlToken> tokens, int i)
    {
        var start = i;
        while (start >= 2 && IsDot(text, tokens[start - 1]) && tokens[start - 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            start -= 2;
        }

        return start > 0 && IsDot(text, tokens[start - 1]) ? i : start;
    }

    /// <summary>
    /// An output column's name, not a read: <c>count(*) AS orders</c>, and that name again as a
    /// whole sort key of the statement's own outermost <c>ORDER BY orders</c>, where PostgreSQL reads
    /// a bare name as the output column first. Nothing else: a name after a parenthesis can be a
    /// read (<c>DISTINCT ON (id) ssn</c>), a sort key inside parentheses is one
    /// (<c>mode() WITHIN GROUP (ORDER BY ssn)</c>), and GROUP BY prefers the input column.
    /// </summary>
    private static bool IsOutputName(string text, List<SqlToken> tokens, int i, TokenIndex index)
    {
        var previous = tokens[i - 1];
        if (previous.Kind != SqlTokenKind.Word)
        {
            return false;
        }

        if (Word(text, previous).Equals("AS", StringComparison.OrdinalIgnoreCase))
        {
            return !IsCastTarget(text, tokens, i - 1, index);
        }

        if (!Word(text, previous).Equals("BY", StringComparison.OrdinalIgnoreCase) || i < 2
            || tokens[i - 2].Kind != SqlTokenKind.Word || !Word(text, tokens[i - 2]).Equals("ORDER", StringComparison.OrdinalIgnoreCase)
            || (i + 1 < tokens.Count && tokens[i + 1].Kind is not (SqlTokenKind.Comma or SqlTokenKind.Semicolon)
                && !(tokens[i + 1].Kind == SqlTokenKind.Word && IsOrderTail(Word(text, tokens[i + 1])))))
        {
            return false;
        }

        // The alias must be defined at the outermost level of the same statement, as the ORDER BY is.
        var name = SqlLiteral.Identifier(text, tokens[i]);
        var depth = 0;
        for (var j = i - 1; j >= 1; j--)
        {
            var kind = tokens[j].Kind;
            if (kind == SqlTokenKind.Semicolon)
            {
                break;
            }

            depth += kind == SqlTokenKind.CloseParen ? 1 : kind == SqlTokenKind.OpenParen ? -1 : 0;
            if (depth == 0 && kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && SqlLiteral.Identifier(text, tokens[j]) == name
                && tokens[j - 1].Kind == SqlTokenKind.Word && Word(text, tokens[j - 1]).Equals("AS", StringComparison.OrdinalIgnoreCase)
                && !IsCastTarget(text, tokens, j - 1, index))
            {
                // An ORDER BY inside parentheses (an aggregate's, a subquery's) sorts by input columns.
                return index.Enclosing(i) < 0;
            }
        }

        return false;
    }

    private static bool IsOrderTail(ReadOnlySpan<char> word) =>
        word.Equals("ASC", StringComparison.OrdinalIgnoreCase) || word.Equals("DESC", StringComparison.OrdinalIgnoreCase)
        || word.Equals("NULLS", StringComparison.OrdinalIgnoreCase) || word.Equals("LIMIT", StringComparison.OrdinalIgnoreCase)
        || word.Equals("OFFSET", StringComparison.OrdinalIgnoreCase) || word.Equals("FETCH", StringComparison.OrdinalIgnoreCase)
        || word.Equals("FOR", StringComparison.OrdinalIgnoreCase);

    /// <summary>The AS at <paramref name="asIndex"/> is inside <c>CAST(… AS type)</c>: what follows is a type, which a table's row type can be.</summary>
    private static bool IsCastTarget(string text, List<SqlToken> tokens, int asIndex, TokenIndex index) =>
        EnclosingCall(tokens, asIndex, index) is var call and >= 0
        && (Word(text, tokens[call]).Equals("CAST", StringComparison.OrdinalIgnoreCase) || Word(text, tokens[call]).Equals("TREAT", StringComparison.OrdinalIgnoreCase));

    private static bool IsWithDefinition(string text, List<SqlToken> tokens, int next)
    {
        if (tokens[next].Kind != SqlTokenKind.Word || !Word(text, tokens[next]).Equals("AS", StringComparison.OrdinalIgnoreCase) || next + 1 >= tokens.Count)
        {
            return false;
        }

        var after = tokens[next + 1];
        return after.Kind == SqlTokenKind.OpenParen
            || (after.Kind == SqlTokenKind.Word && (Word(text, after).Equals("MATERIALIZED", StringComparison.OrdinalIgnoreCase)
                || Word(text, after).Equals("NOT", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// Functions, aggregates and casts that take any row as their one argument and give its values
    /// back: in attribute notation (<c>c.row_to_json</c>, <c>c.json_agg</c>) they read like
    /// a column. pg_catalog's functions whose first argument is polymorphic or a record (PostgreSQL 15),
    /// and the aggregates of later versions (probe DU1: <c>translate(c.json_agg::text, …)</c> gave every
    /// masked column out). A cast (<c>c.text</c>) is no column there: PostgreSQL refuses it.
    /// </summary>
    private static readonly HashSet<string> RowFunctions = new(StringComparer.Ordinal)
    {
        "row_to_json", "to_json", "to_jsonb", "json_build_array", "jsonb_build_array", "json_build_object", "jsonb_build_object",
        "concat", "quote_literal", "quote_nullable", "hstore", "record_out", "record_send", "hash_record", "any_out", "anyelement_out",
        "anynonarray_out", "anycompatible_out", "anycompatiblenonarray_out", "array_agg", "json_agg", "jsonb_agg", "json_agg_strict",
        "jsonb_agg_strict", "any_value", "first_value", "last_value", "lag", "lead", "mode",
    };

    private static readonly HashSet<string> BeforeStar = new(StringComparer.OrdinalIgnoreCase) { "SELECT", "DISTINCT", "ALL", "RETURNING" };

    private static readonly HashSet<string> BeforeTableQuery = new(StringComparer.OrdinalIgnoreCase) { "IN", "UNION", "EXCEPT", "INTERSECT", "ALL", "AS" };

    /// <summary>A select list's <c>*</c> (<c>SELECT *</c>, <c>, t.*</c>, <c>RETURNING *</c>) or a <c>TABLE name</c> query: every column, none named.</summary>
    private static bool SelectsUnnamedColumns(string text, List<SqlToken> tokens, int i)
    {
        var token = tokens[i];
        var previous = i > 0 ? tokens[i - 1] : default;
        if (token.Kind == SqlTokenKind.Other)
        {
            return text[token.Start] == '*' && i > 0
                && (previous.Kind == SqlTokenKind.Comma || IsDot(text, previous)
                    || IsWordIn(text, previous, BeforeStar));
        }

        return Word(text, token).Equals("TABLE", StringComparison.OrdinalIgnoreCase)
            && i + 1 < tokens.Count && tokens[i + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            && (i == 0 || previous.Kind is SqlTokenKind.OpenParen or SqlTokenKind.Semicolon
                || IsWordIn(text, previous, BeforeTableQuery));
    }

    /// <summary>
    /// A write whose rows come from <c>*</c>, <c>t.*</c> or <c>TABLE t</c> of a relation that may
    /// hold a masked column, into another table (<c>INSERT INTO notes SELECT * FROM customers</c>,
    /// <c>INSERT … TABLE customers</c>, <c>CREATE TABLE t (a, b, …) AS SELECT *</c>, also a view's or
    /// materialized view's column list): every column goes in under the target's column names, and
    /// reads back unmasked (probe EI1). A copy that keeps the names (<c>CREATE TABLE t AS SELECT *</c>,
    /// <c>SELECT * INTO t</c>) stays masked by them.
    /// </summary>
    private static bool WritesUnnamedColumns(SqlStatement statement, string text, List<SqlToken> tokens, IColumnNameLookup? relations)
    {
        var renamesQuery = statement.Kind == "CREATE" && RenamesColumnsOfItsQuery(text, tokens);
        var fromRenamingView = NamesRenamingView(text, tokens, relations);

        // A copy that keeps the names is masked by them only where they are masked names: a
        // view's are its own (SELECT ssn AS s), and CREATE TABLE t AS SELECT * FROM v copied
        // the SSN into t's column s, read back unmasked (probe TC1).
        var keepsViewsNames = !renamesQuery && fromRenamingView
            && (statement.Kind == "CREATE" || (statement.Kind == "SELECT" && HasTopLevelWord(text, tokens, "INTO")));
        if (statement.Kind != "INSERT" && !renamesQuery && !keepsViewsNames)
        {
            return false;
        }

        var index = new TokenIndex(text, tokens);
        var withQueries = WithQueryNames(text, tokens, index);
        // Not even into a table of the same name: it may be another schema's (probe EJ2).
        var fromMasked = fromRenamingView || (!keepsViewsNames && RowSourceNames(text, tokens, relations, index) is { Count: > 0 });
        // What an INSERT returns goes to the client, masked by column like a SELECT's: its
        // RETURNING * copies nothing (probe OA6: ORMs' INSERT … RETURNING * was refused).
        var returning = statement.Kind == "INSERT" ? TopLevelWordIndex(text, tokens, "RETURNING") : tokens.Count;
        var depth = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            depth += tokens[i].Kind == SqlTokenKind.OpenParen ? 1 : tokens[i].Kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (i > returning && depth == 0)
            {
                continue;
            }

            // INSERT INTO t [(…)] TABLE customers: the query right after the target.
            var insertsTable = statement.Kind == "INSERT" && i > 0 && IsWord(text, tokens[i], "TABLE") && i + 1 < tokens.Count
                && tokens[i + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && tokens[i - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier or SqlTokenKind.CloseParen;
            if (!insertsTable && !SelectsUnnamedColumns(text, tokens, i))
            {
                continue;
            }

            if (tokens[i].Kind == SqlTokenKind.Word)
            {
                // TABLE [schema.]name: that relation's columns (probe AC5: the schema's name was read
                // as the relation's, unknown, and INSERT … TABLE app.other refused as a copy).
                var last = i + 1;
                while (last + 2 < tokens.Count && IsDot(text, tokens[last + 1]) && tokens[last + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
                {
                    last += 2;
                }

                var name = SqlLiteral.Identifier(text, tokens[last]);
                if (relations?.MaskedColumnsUnderOtherNames(name) is not null || (!keepsViewsNames && !HoldsNoMaskedColumn(name, relations, withQueries)))
                {
                    return true;
                }
            }
            else if (fromMasked)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the statement names a view that carries masked columns under its own names.</summary>
    private static bool NamesRenamingView(string text, List<SqlToken> tokens, IColumnNameLookup? relations) =>
        relations is { HasMaskedColumnsUnderOtherNames: true }
        && tokens.Exists(t => t.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            && relations.MaskedColumnsUnderOtherNames(SqlLiteral.Identifier(text, t)) is not null);

    /// <summary><c>CREATE … name (a, b, …) AS query</c>: a column list before the AS of its query.</summary>
    private static bool RenamesColumnsOfItsQuery(string text, List<SqlToken> tokens)
    {
        var open = tokens.FindIndex(t => t.Kind == SqlTokenKind.OpenParen);
        if (open < 1 || tokens[open - 1].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return false;
        }

        var depth = 0;
        for (var i = open; i < tokens.Count; i++)
        {
            depth += tokens[i].Kind == SqlTokenKind.OpenParen ? 1 : tokens[i].Kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (depth == 0)
            {
                return i + 1 < tokens.Count && IsWord(text, tokens[i + 1], "AS");
            }
        }

        return false;
    }

    private static readonly HashSet<string> TargetKeywords = new(StringComparer.OrdinalIgnoreCase) { "UPDATE", "INTO", "ONLY" };

    private static readonly HashSet<string> SetOperations = new(StringComparer.OrdinalIgnoreCase) { "UNION", "INTERSECT", "EXCEPT" };

    /// <summary><c>UPDATE orders</c>, <c>INSERT INTO orders</c>: the table written to, not a row value.</summary>
    private static bool IsTargetKeyword(string text, SqlToken token) => IsWordIn(text, token, TargetKeywords);

    private static bool HasSetOperation(string text, List<SqlToken> tokens) => tokens.Exists(t => IsWordIn(text, t, SetOperations));

    /// <summary>Whether <paramref name="token"/> is a word among <paramref name="words"/> (case-insensitive sets).</summary>
    private static bool IsWordIn(string text, SqlToken token, HashSet<string> words) =>
        token.Kind == SqlTokenKind.Word && words.Contains(Word(text, token).ToString());

    private static bool IsDot(string text, SqlToken token) => token.Kind == SqlTokenKind.Other && text[token.Start] == '.';
}
