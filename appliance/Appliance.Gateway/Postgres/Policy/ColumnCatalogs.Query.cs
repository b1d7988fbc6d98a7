using System.Globalization;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>The SQL of the login's catalog read (<see cref="ColumnCatalogs"/>).</summary>
internal sealed partial class ColumnCatalogs
{
    /// <summary>
    /// Columns named like a masked one (compared case-insensitively, as the masker does),
    /// relations newer than <paramref name="afterOid"/>, and the views reading such a column,
    /// directly or through other views, with their queries (<see cref="MaskedViews"/>). The client's own <c>statement_timeout</c>
    /// (a startup option, the role's setting) does not apply to it: cut short, it left the session a
    /// catalog that knows nothing, and every column of <c>c.*</c> masked (probe AC). SET LOCAL
    /// lasts as long as the query string's implicit transaction, so the client's setting is back after it.
    /// </summary>
    /// <param name="knownViews">The versions (<c>oid:xmin</c>) of views whose queries are known: theirs are not sent.</param>
    internal static string Query(IReadOnlyList<string> columns, uint afterOid, IReadOnlyCollection<string>? knownViews = null)
    {
        var names = string.Join(", ", columns.Select(c => "'" + c.ToLowerInvariant().Replace("'", "''", StringComparison.Ordinal) + "'"));
        // No JIT: the planner's estimate of the recursive part passes jit_above_cost, and compiling
        // took a second of every login in a database of 5,000 relations (probe VC2).
        return "SET LOCAL statement_timeout = 0; SET LOCAL jit = off; " + CarriersQuery(names) +
               "SELECT a.attrelid, a.attnum, a.attname::text, r.relname::text, NULL FROM pg_catalog.pg_attribute a " +
               "JOIN pg_catalog.pg_class r ON r.oid = a.attrelid " +
               $"WHERE a.attnum > 0 AND NOT a.attisdropped AND lower(a.attname::text) = ANY (ARRAY[{names}]::text[]) " +
               "UNION ALL SELECT a.attrelid, a.attnum, min(k.field), r.relname::text, a.attname::text FROM pg_catalog.pg_attribute a " +
               "JOIN carrier k ON k.typ = a.atttypid JOIN pg_catalog.pg_class r ON r.oid = a.attrelid " +
               $"WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND lower(a.attname::text) <> ALL (ARRAY[{names}]::text[]) " +
               "GROUP BY a.attrelid, a.attnum, r.relname, a.attname " +
               // A generated column computed from a masked one (GENERATED ALWAYS AS (reverse(ssn))
               // STORED) holds its value under another name (probe VC3).
               "UNION ALL SELECT a.attrelid, a.attnum, min(coalesce(k.field, m.attname::text)), r.relname::text, a.attname::text FROM " + GeneratedFromMasked(names) +
               "JOIN pg_catalog.pg_class r ON r.oid = a.attrelid GROUP BY a.attrelid, a.attnum, r.relname, a.attname " +
               // A foreign table's column that names a masked one on the remote side (OPTIONS
               // (column_name 'ssn')) is that column under another name (probe UA3).
               "UNION ALL SELECT a.attrelid, a.attnum, min(substr(o, 13)), r.relname::text, a.attname::text FROM pg_catalog.pg_attribute a " +
               "JOIN pg_catalog.pg_class r ON r.oid = a.attrelid CROSS JOIN LATERAL unnest(a.attfdwoptions) o " +
               $"WHERE r.relkind = 'f' AND a.attnum > 0 AND NOT a.attisdropped AND lower(o) = ANY (ARRAY[{ForeignColumnNames(columns)}]::text[]) " +
               $"AND lower(a.attname::text) <> ALL (ARRAY[{names}]::text[]) " +
               "GROUP BY a.attrelid, a.attnum, r.relname, a.attname " +
               "UNION ALL SELECT c.oid, 0, NULL, c.relname::text, NULL FROM pg_catalog.pg_class c " +
               $"WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.oid > {afterOid.ToString(CultureInfo.InvariantCulture)}::oid; " +
               // Versions are the upstream's own digits (oid:xmin); anything else is not written into SQL.
               ViewsQuery(names, ForeignColumnNames(columns), string.Join(", ", (knownViews ?? []).Where(v => v.All(c => char.IsAsciiDigit(c) || c == ':')).Select(v => "'" + v + "'")));
    }

    /// <summary>
    /// Generated columns (<c>a</c>) whose expression reads a masked column or a column of a type
    /// carrying one (<c>m</c>, its carried field <c>k.field</c>; probe XB1: one computed from
    /// <c>(info).ssn</c>): the expression's pg_attrdef row depends on each column it reads. A default
    /// cannot read a column, so only generated columns have such a dependency.
    /// </summary>
    private static string GeneratedFromMasked(string names) =>
        "pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid " +
        "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = ad.adrelid AND d.refobjsubid > 0 AND d.refobjsubid <> ad.adnum " +
        "JOIN pg_catalog.pg_attribute m ON m.attrelid = ad.adrelid AND m.attnum = d.refobjsubid " +
        "LEFT JOIN (SELECT typ, min(field) AS field FROM carrier GROUP BY typ) k ON k.typ = m.atttypid " +
        $"JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum AND NOT a.attisdropped AND lower(a.attname::text) <> ALL (ARRAY[{names}]::text[]) " +
        $"AND (lower(m.attname::text) = ANY (ARRAY[{names}]::text[]) OR k.typ IS NOT NULL) ";

    /// <summary><c>'column_name=ssn'</c> for each masked column, as a foreign table's column options are kept.</summary>
    private static string ForeignColumnNames(IReadOnlyList<string> columns) =>
        string.Join(", ", columns.Select(c => "'column_name=" + c.ToLowerInvariant().Replace("'", "''", StringComparison.Ordinal) + "'"));

    /// <summary>
    /// The types that carry a column named like a masked one (<c>carrier(typ, field)</c>): a
    /// relation's row type with such a column, and every array, domain or row type holding a
    /// carrier. A column of such a type (<c>info person_t</c>, where person_t has an ssn field)
    /// holds the masked value under its own name: <c>reverse(info::text)</c> gave the SSN out (probe TC2).
    /// </summary>
    private static string CarriersQuery(string names) =>
        // Only types made in the database (OIDs from 16384) can hold a relation's row type: the
        // edges are a few rows, not one per column of every table.
        "WITH RECURSIVE edges (parent, child) AS (SELECT t.oid, t.typelem FROM pg_catalog.pg_type t WHERE t.typcategory = 'A' AND t.typelem >= 16384 " +
        "UNION ALL SELECT t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE t.typtype = 'd' AND t.typbasetype >= 16384 " +
        // A range over a carrier, and its multirange (probe UA1); rngmultitypid is read through
        // jsonb, as PostgreSQL before 14 has no such column (and no multiranges).
        "UNION ALL SELECT r.rngtypid, r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngsubtype >= 16384 " +
        "UNION ALL SELECT (to_jsonb(r) ->> 'rngmultitypid')::oid, r.rngtypid FROM pg_catalog.pg_range r " +
        "WHERE r.rngtypid >= 16384 AND to_jsonb(r) ? 'rngmultitypid' " +
        "UNION ALL SELECT c.reltype, a.atttypid FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid " +
        "WHERE a.atttypid >= 16384 AND a.attnum > 0 AND NOT a.attisdropped AND c.reltype <> 0), " +
        "carrier (typ, field) AS (SELECT c.reltype, a.attname::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid " +
        $"WHERE a.attnum > 0 AND NOT a.attisdropped AND c.reltype <> 0 AND lower(a.attname::text) = ANY (ARRAY[{names}]::text[]) " +
        // Where no column has a type made in the database, nothing carries one: the walk is skipped.
        "AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute u WHERE u.atttypid >= 16384 AND u.attnum > 0 AND NOT u.attisdropped) " +
        "UNION SELECT e.parent, k.field FROM carrier k JOIN edges e ON e.child = k.typ) ";

    /// <summary>
    /// Every view whose query reads a column named like a masked one (or a whole row holding one),
    /// or reads such a view: its OID, name, column count, query and what the query reads (kind
    /// <c>v</c>); then the user functions that may return such a column (kind <c>f</c>, OID and name:
    /// <see cref="FunctionsQuery"/>), in the same statement, which has the relations at hand.
    /// </summary>
    private static string ViewsQuery(string names, string foreignNames, string knownViews) =>
        CarriersQuery(names) + ", reads AS (SELECT r.ev_class AS view, d.refobjid AS rel, d.refobjsubid AS col FROM pg_catalog.pg_depend d " +
        "JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid " +
        "WHERE r.rulename = '_RETURN' AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class), " +
        // Three scans joined, not one with subqueries: "atttypid IN (SELECT typ FROM carrier)" was run
        // once per column of the database, and a login took 12 to 20 s with 500 composite types (probe VC2).
        "masked AS (SELECT a.attrelid AS rel, a.attnum AS col FROM pg_catalog.pg_attribute a " +
        $"WHERE a.attnum > 0 AND NOT a.attisdropped AND lower(a.attname::text) = ANY (ARRAY[{names}]::text[]) " +
        "UNION SELECT a.attrelid, a.attnum FROM pg_catalog.pg_attribute a JOIN (SELECT DISTINCT typ FROM carrier) k ON k.typ = a.atttypid " +
        "WHERE a.attnum > 0 AND NOT a.attisdropped " +
        "UNION SELECT a.attrelid, a.attnum FROM pg_catalog.pg_attribute a CROSS JOIN LATERAL unnest(a.attfdwoptions) o " +
        $"WHERE a.attfdwoptions IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND lower(o) = ANY (ARRAY[{foreignNames}]::text[]) " +
        "UNION SELECT a.attrelid, a.attnum FROM " + GeneratedFromMasked(names) + "), " +
        // A whole row of a relation read with some of its columns leaves only the columns' dependencies
        // (probe QA1): a view reading any column of such a relation and holding a whole-row Var counts too.
        "near AS (SELECT DISTINCT x.view FROM reads x JOIN masked m ON m.rel = x.rel), " +
        "base AS (SELECT x.view FROM reads x JOIN masked m ON m.rel = x.rel AND (x.col = 0 OR x.col = m.col) " +
        "UNION SELECT w.ev_class FROM near n JOIN pg_catalog.pg_rewrite w ON w.ev_class = n.view AND w.rulename = '_RETURN' " +
        "WHERE w.ev_action::text LIKE '%:varattno 0 %'), " +
        "tainted (view) AS (SELECT view FROM base UNION SELECT x.view FROM reads x JOIN tainted t ON x.rel = t.view), " +
        "agg AS (SELECT x.view, string_agg(x.rel::text || ':' || x.col::text || ':' || coalesce(rc.reltype, 0)::text, ',') AS reads " +
        "FROM reads x LEFT JOIN pg_catalog.pg_class rc ON rc.oid = x.rel GROUP BY x.view) " +
        FunctionsQuery(names) +
        "SELECT c.oid, c.relname::text, " +
        "(SELECT json_object_agg(a.attnum, a.attname) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text, " +
        "c.oid::text || ':' || r.xmin::text, " +
        $"CASE WHEN c.oid::text || ':' || r.xmin::text = ANY (ARRAY[{knownViews}]::text[]) THEN NULL ELSE r.ev_action::text END, g.reads, " +
        "CASE WHEN t.view IN (SELECT view FROM fcallers) THEN 'c' ELSE 'v' END " +
        "FROM (SELECT view FROM tainted UNION SELECT view FROM fviews) t JOIN pg_catalog.pg_class c ON c.oid = t.view " +
        "JOIN pg_catalog.pg_rewrite r ON r.ev_class = c.oid AND r.rulename = '_RETURN' " +
        "LEFT JOIN agg g ON g.view = c.oid " +
        "UNION ALL SELECT DISTINCT f.oid, f.proname::text, NULL, NULL, NULL, NULL, 'f' FROM fnall f " +
        // The columns whose default or generated expression calls such a function (kind d): each
        // insert stores what it returns (probe DC3: INSERT … RETURNING note gave the SSN back).
        "UNION ALL SELECT DISTINCT u.rel, c.relname::text, a.attname::text, NULL, NULL, u.col::text, 'd' FROM ffilled u " +
        "JOIN pg_catalog.pg_class c ON c.oid = u.rel JOIN pg_catalog.pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.col " +
        // The relations a trigger of such a function is on (kind t): a write to one may raise what it
        // read in a notice or error (probe DP7), whose values are withheld as a masked table's are.
        "UNION ALL SELECT DISTINCT t.tgrelid, c.relname::text, NULL, NULL, NULL, NULL, 't' FROM pg_catalog.pg_trigger t JOIN fnall f ON f.oid = t.tgfoid " +
        "JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid " +
        // Whether such a function keeps a value (kind s).
        "UNION ALL SELECT 0::oid, NULL, NULL, NULL, NULL, NULL, 's' FROM fside WHERE keeps " +
        // The columns of each table holding a masked column (kind a; a view's come with it): c.x where
        // x is none of them is x(c), a function or cast of the whole row (probe DV4–DV6).
        "UNION ALL SELECT c.oid, c.relname::text, (SELECT json_agg(a.attname::text) FROM pg_catalog.pg_attribute a " +
        "WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text, NULL, NULL, NULL, 'a' FROM pg_catalog.pg_class c " +
        "WHERE c.oid = ANY (ARRAY(SELECT rel FROM masked)) AND c.relkind IN ('r', 'p', 'm', 'f') " +
        // The user functions and aggregates a whole row can be the one argument of (kind p): anyelement,
        // anynonarray, anycompatible, anycompatiblenonarray, "any", record, VARIADIC anyarray or
        // anycompatiblearray, or the row type of a relation holding a masked column or a domain over
        // one. In attribute notation, c.f is f(c) (probe DU1: pg_catalog's own, c.json_agg, gave the row
        // out; DV2, DV3: an aggregate over customers, a function over a domain of it).
        "UNION ALL SELECT DISTINCT 0::oid, p.proname::text, NULL, NULL, NULL, NULL, 'p' FROM pg_catalog.pg_proc p " +
        // information_schema holds none of its own (probe DW2: a superuser's there, on a session's search_path).
        "WHERE p.pronamespace <> 'pg_catalog'::regnamespace AND p.pronargs >= 1 " +
        "AND p.pronargs - p.pronargdefaults <= 1 AND (p.proargtypes[0] = ANY ('{2283,2776,5077,5079,2276,2249}'::oid[]) " +
        "OR p.provariadic <> 0 AND p.proargtypes[0] = ANY ('{2277,5078}'::oid[]) OR p.proargtypes[0] = ANY (ARRAY(SELECT typ FROM ftypes)) " +
        "OR EXISTS (SELECT 1 FROM pg_catalog.pg_type d WHERE d.oid = p.proargtypes[0] AND d.typtype = 'd' AND d.typbasetype = ANY (ARRAY(SELECT typ FROM ftypes))))";

    /// <summary>
    /// Around the names of a pattern: a name standing as a word, where a name's characters are
    /// letters, digits, _ and $ (\m and \M know no $: a function named leak$, or quoted "-lk", was
    /// never found in its callers' bodies, probe DH1).
    /// </summary>
    private const string WordStart = "'(?:^|[^[:alnum:]_$])(?:'";

    private const string WordEnd = "')(?:$|[^[:alnum:]_$])'";

    /// <summary>
    /// A name as a pattern: each character a regex could read escaped (only non-alphanumerics: a
    /// backslash before a letter is an escape), and a double quote matched once or doubled, as a
    /// quoted name writes it (probe DI1: a function named "q""t" was not found in its callers).
    /// </summary>
    private static string Escaped(string name) =>
        // A name of 63 bytes may be written longer: PostgreSQL cuts an identifier there (probe DJ1).
        $"replace(regexp_replace({name}, E'([^[:alnum:]_])', E'\\\\\\\\\\\\1', 'g'), '\"', '\"\"?') " +
        $"|| CASE WHEN octet_length({name}) >= 63 THEN '[[:alnum:]_$]*' ELSE '' END";

    /// <summary>
    /// How many levels of functions are read (fn1 … fn6): one that reads a masked column, and one
    /// up to five calls away from it (probe DC4: four calls away let the value out at four levels).
    /// </summary>
    internal const int FunctionCallDepth = 6;

    /// <summary>
    /// The user functions (and procedures) that may return a masked column's value, as CTEs after
    /// <see cref="ViewsQuery"/>'s (<c>masked</c>, <c>tainted</c>, <c>carrier</c>): one whose result,
    /// argument or OUT/TABLE column type is (an array of) a type carrying one, one whose body names
    /// as a word, in any case, a masked column or a relation holding one (a table, a view reading
    /// one), or whose SQL-standard body (<c>BEGIN ATOMIC</c>, kept parsed, with its dependencies)
    /// reads such a relation, or whose body cannot be read by its words (<see cref="UnreadableBody"/>)
    /// (<c>fn1</c>); and one whose body names or calls such a function, up to
    /// <see cref="FunctionCallDepth"/> calls deep (<c>fn2</c> …; a function reading a view that calls
    /// one is not found). A function in C or internal has no body to read.
    /// Probe CX1, CX2: <c>SELECT reverse(f::text) FROM all_customers() f</c> gave the SSN out.
    /// </summary>
    private static string FunctionsQuery(string names)
    {
        var query = new System.Text.StringBuilder(
            ", holders (rel) AS (SELECT rel FROM masked UNION SELECT view FROM tainted), " +
            // By index (= ANY): a join with holders read all of pg_class, twice (8 ms of 15,000 relations).
            "ftypes (typ) AS (SELECT typ FROM carrier UNION SELECT c.reltype FROM pg_catalog.pg_class c WHERE c.oid = ANY (ARRAY(SELECT rel FROM holders)) AND c.reltype <> 0), " +
            // A pattern of the words, each escaped where the regex would read it (only non-alphanumerics: a
            // backslash before a letter is an escape), matched as a whole word: \m and \M.
            "fpattern (re) AS (SELECT " + WordStart + " || string_agg(" + Escaped("w") + ", '|') || " + WordEnd + " FROM " +
            // Not the partitions: a table of thousands of them made one alternation of thousands of
            // names, compiled at every login (review R5: 370 ms with 3,000; too complex past 30,000).
            "(SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.oid = ANY (ARRAY(SELECT rel FROM holders)) AND NOT c.relispartition " +
            $"UNION SELECT unnest(ARRAY[{names}]::text[])) x (w)), " +
            // The functions that run a query given as text, by OID, as a SQL-standard body holds its calls.
            "fdynamic (re) AS (SELECT ':funcid (' || string_agg(oid::text, '|') || ') ' FROM pg_catalog.pg_proc " +
            "WHERE proname ~ '^(query_to_xml|table_to_xml|cursor_to_xml|schema_to_xml|database_to_xml|ts_stat$|ts_rewrite$|dblink)'), " +
            "fcand AS (SELECT p.oid, p.proname, p.prorettype || p.proargtypes::oid[] || coalesce(p.proallargtypes, '{}') AS types, " +
            "CASE WHEN l.lanname IN ('c', 'internal') THEN NULL ELSE p.prosrc END AS src, l.lanname AS lang, " +
            // A SQL-standard body (BEGIN ATOMIC, PostgreSQL 14 and later) has no source text: its parsed
            // form, read through to_jsonb, which older servers answer with NULL (review R3).
            "CASE WHEN p.prosrc = '' THEN to_jsonb(p) ->> 'prosqlbody' END AS parsed " +
            "FROM pg_catalog.pg_proc p " +
            "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace JOIN pg_catalog.pg_language l ON l.oid = p.prolang " +
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind <> 'a'), " +
            $"fn1 AS (SELECT f.oid, f.proname FROM fcand f WHERE f.src ~* (SELECT re FROM fpattern) " +
            // A body in another language is a program, whose queries (spi_exec_query, plpy.cursor) no word search reads.
            $"OR f.src ~* E'{UnreadableBody}' OR f.lang NOT IN ('sql', 'plpgsql', 'c', 'internal') OR f.parsed ~ (SELECT re FROM fdynamic) " +
            // One array, made once (a subquery per function took 130 µs each: 270 ms with 2,000 functions).
            "OR f.types && ARRAY(SELECT typ FROM ftypes UNION SELECT t.typarray FROM pg_catalog.pg_type t WHERE t.oid = ANY (ARRAY(SELECT typ FROM ftypes)) AND t.typarray <> 0) " +
            "OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN holders h ON h.rel = d.refobjid WHERE d.classid = 'pg_catalog.pg_proc'::regclass " +
            "AND d.objid = f.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass)), ");
        // Each level: the functions whose body names, or whose SQL-standard body calls, one of the
        // level before (probe DB4: three calls deep let the SSN out). One pattern per level, not one
        // per pair: a pattern is compiled once.
        var found = "SELECT oid FROM fn1";
        for (var level = 2; level <= FunctionCallDepth; level++)
        {
            var previous = $"fn{level - 1}";
            // By name, also a name a built-in has: a user function named upper that returns one, called
            // as upper(i) from another, let the value out when such names were skipped (probe DG1). So a
            // user function named like a built-in makes every function calling that name count (DD3:
            // citext's bodies call lower()), failing closed.
            query.Append($"fn{level} AS (SELECT f.oid, f.proname FROM fcand f WHERE f.oid NOT IN ({found}) AND (")
                .Append("f.src ~* (SELECT " + WordStart + " || string_agg(DISTINCT " + Escaped("proname::text") + ", '|') || " + WordEnd + " ")
                .Append($"FROM {previous}) OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN {previous} g ON g.oid = d.refobjid ")
                .Append("WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = f.oid AND d.refclassid = 'pg_catalog.pg_proc'::regclass))), ");
            found += $" UNION ALL SELECT oid FROM fn{level}";
        }

        query.Append("fnall (oid, proname) AS (SELECT oid, proname FROM fn1");
        for (var level = 2; level <= FunctionCallDepth; level++)
        {
            query.Append($" UNION ALL SELECT oid, proname FROM fn{level}");
        }

        return query.Append("), ")
            // The views calling such a function (kind c: its columns read from the call have no origin,
            // and are masked as computed ones), and the views over them (probe CX2: a view renaming a
            // RETURNS TABLE column let it out as the view's own).
            .Append("fcallers (view) AS (SELECT r.ev_class FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::regclass ")
            .Append("AND d.objid = r.oid AND r.rulename = '_RETURN' JOIN fnall f ON f.oid = d.refobjid ")
            .Append("WHERE d.refclassid = 'pg_catalog.pg_proc'::regclass), ")
            // The functions a function that may return a masked column, or a trigger's, reaches by its
            // calls, by name (probe DL2: one handed the value to a helper that wrote it), read only for
            // the functions reached.
            .Append("freach (root, oid) AS (SELECT oid, oid FROM fnall UNION SELECT tgfoid, tgfoid FROM pg_catalog.pg_trigger ")
            // Read with and without comments (review R3: a string holding -- hid the rest of its line),
            // a quoted name as written, an unquoted one in lower case.
            .Append("UNION SELECT r.root, p.oid FROM freach r JOIN pg_catalog.pg_proc s ON s.oid = r.oid ")
            .Append($"CROSS JOIN LATERAL (VALUES (s.prosrc), ({Uncommented("s.prosrc")})) b (src) ")
            .Append("CROSS JOIN LATERAL regexp_matches(b.src, '(\"(?:[^\"]|\"\")+\"|[[:alnum:]_$]+)[[:space:]]*[(]', 'g') m ")
            .Append("JOIN pg_catalog.pg_proc p ON p.proname = CASE WHEN left(m[1], 1) = '\"' THEN replace(substr(m[1], 2, length(m[1]) - 2), '\"\"', '\"') ELSE lower(m[1]) END ")
            .Append("WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) AND p.prokind <> 'a'), ")
            // What each of them writes into, by the names its body gives after INTO (INSERT, MERGE,
            // SELECT … INTO), UPDATE, COPY, CREATE TABLE or MATERIALIZED VIEW, read with and without its
            // comments (DL1: a comment between INSERT and INTO; a string may hold -- or /*), in any
            // schema; a name built at run time is not seen (DK1: a trigger's function stored what it
            // read from ssn into a table of its own).
            // By index (= ANY): a join with the candidates' CTE hashed its 2,000 bodies.
            .Append("fw (oid, rel) AS (SELECT s.oid, c.oid FROM (SELECT f.oid, b.src FROM pg_catalog.pg_proc f ")
            .Append($"CROSS JOIN LATERAL (VALUES (f.prosrc), ({Uncommented("f.prosrc")})) b (src) WHERE f.oid = ANY (ARRAY(SELECT oid FROM freach))) s ")
            .Append(WrittenRelations("s.src")).Append("), ")
            // Whether such a function, or one it calls, keeps a value where a later statement reads it
            // back (a setting, a sequence, a large object, a lock; SQL it builds may do anything): probe
            // DP1, DP3, DP4 (set_config, setval, lo_from_bytea called from a trigger or a function).
            .Append($"fside (keeps) AS (SELECT EXISTS (SELECT 1 FROM freach r JOIN fnall f ON f.oid = r.root JOIN pg_catalog.pg_proc s ON s.oid = r.oid WHERE s.prosrc ~* E'{SideChannelWrite}')), ")
            // Where a filled relation's values go on (col NULL: from any column; up: each column of the
            // relation they reach): a partition's column to the same of the tables above it (DD1); a
            // table's rows to its partitions and children; what a trigger on it writes into, through
            // the functions it calls (DL7); the relations its rules write or read, and a rule's own
            // relation from them (DK1, DL3, DL6); a view's rows to the relations it reads, which an
            // insert through it fills (DL5); a key's rows to the tables referencing it (DL8: ON UPDATE CASCADE).
            // What a rule (not a view's) writes, read from its definition as a body's writes are.
            .Append("frulew (rel, up) AS (SELECT r.ev_class, c.oid FROM pg_catalog.pg_rewrite r ").Append(WrittenRelations("pg_catalog.pg_get_ruledef(r.oid)"))
            .Append(" AND r.rulename <> '_RETURN' AND c.oid <> r.ev_class), ")
            .Append("fedge (rel, up) AS (SELECT i.inhparent, i.inhrelid FROM pg_catalog.pg_inherits i ")
            .Append("UNION SELECT t.tgrelid, w.rel FROM pg_catalog.pg_trigger t JOIN freach r ON r.root = t.tgfoid JOIN fw w ON w.oid = r.oid ")
            // A view's rows go to what it reads; a rule's, only to what its action writes, read from its
            // definition as a body's writes are (a relation it only reads is no target).
            .Append("UNION SELECT r.ev_class, d.refobjid FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d ")
            .Append("ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class ")
            .Append("WHERE r.rulename = '_RETURN' ")
            .Append("UNION SELECT rel, up FROM frulew ")
            .Append("UNION SELECT d.refobjid, r.ev_class FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d ")
            .Append("ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class ")
            .Append("WHERE r.rulename <> '_RETURN' ")
            .Append("UNION SELECT k.confrelid, k.conrelid FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.confupdtype = 'c'), ")
            .Append("fup (rel, col, up, upcol) AS (SELECT i.inhrelid, ca.attnum, i.inhparent, pa.attnum FROM pg_catalog.pg_inherits i ")
            .Append("JOIN pg_catalog.pg_attribute ca ON ca.attrelid = i.inhrelid AND ca.attnum > 0 ")
            .Append("JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = ca.attname ")
            .Append("UNION ALL SELECT e.rel, NULL, e.up, a.attnum FROM fedge e ")
            .Append("JOIN pg_catalog.pg_attribute a ON a.attrelid = e.up AND a.attnum > 0 AND NOT a.attisdropped), ")
            // The columns a default fills from such a function: their own (a generated expression too),
            // their domain's (probe DD2); every column of a relation whose BEFORE or INSTEAD OF row
            // trigger calls one, or one such a function, or a function it calls, writes into, or whose
            // rule calls one (DK1); and where their values go on (fup).
            .Append("ffilled (rel, col) AS (SELECT ad.adrelid, ad.adnum FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend d ")
            .Append("ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_catalog.pg_proc'::regclass ")
            .Append("JOIN fnall f ON f.oid = d.refobjid ")
            // A default reading a kept value back (DP1: DEFAULT current_setting('my.v')), by its text:
            // no dependency on a built-in is recorded.
            .Append("UNION SELECT ad.adrelid, ad.adnum FROM pg_catalog.pg_attrdef ad ")
            .Append($"WHERE (SELECT keeps FROM fside) AND pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) ~* E'{SideChannelRead}' ")
            .Append("UNION SELECT a.attrelid, a.attnum FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_type'::regclass ")
            .Append("AND d.objid = a.atttypid AND d.refclassid = 'pg_catalog.pg_proc'::regclass JOIN fnall f ON f.oid = d.refobjid ")
            .Append("WHERE a.attnum > 0 AND NOT a.attisdropped ")
            // tgtype: 1 a row trigger, 2 BEFORE, 64 INSTEAD OF; an AFTER trigger's row is stored already.
            // By index (= ANY): joined, the relations' estimate (recursive CTEs) made a hash of 524,288
            // batches, 400 ms of a login (probe DN6).
            .Append("UNION SELECT a.attrelid, a.attnum FROM pg_catalog.pg_attribute a WHERE a.attrelid = ANY (ARRAY(SELECT t.tgrelid FROM pg_catalog.pg_trigger t JOIN fnall f ON f.oid = t.tgfoid ")
            .Append("WHERE (t.tgtype & 1) = 1 AND (t.tgtype & 66) <> 0 UNION SELECT w.rel FROM freach r JOIN fnall f ON f.oid = r.root JOIN fw w ON w.oid = r.oid ")
            // What a trigger on a relation holding a masked column writes, through the functions it calls
            // (review R2: an audit trigger copying row_to_json(NEW) into a log), and what such a relation's
            // rules write.
            .Append("UNION SELECT w.rel FROM pg_catalog.pg_trigger t JOIN freach r ON r.root = t.tgfoid JOIN fw w ON w.oid = r.oid ")
            // Not a relation holding one itself, whose clean columns would all be masked (a write of ssn
            // into a clean column of the same table is not followed: docs, probe CW3).
            .Append("WHERE t.tgrelid = ANY (ARRAY(SELECT rel FROM holders)) AND NOT w.rel = ANY (ARRAY(SELECT rel FROM holders)) ")
            .Append("UNION SELECT w.up FROM frulew w WHERE w.rel = ANY (ARRAY(SELECT rel FROM holders)) AND NOT w.up = ANY (ARRAY(SELECT rel FROM holders)) ")
            // Where such a kept value may be: what a function reading it back writes (DP1: a trigger copying current_setting).
            // By index: a join with the candidates' CTE hashed its 2,000 bodies (20 ms).
            .Append($"UNION SELECT w.rel FROM fw w JOIN pg_catalog.pg_proc s ON s.oid = w.oid WHERE (SELECT keeps FROM fside) AND s.prosrc ~* E'{SideChannelRead}' ")
            .Append("UNION SELECT r.ev_class FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass ")
            .Append("AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_proc'::regclass JOIN fnall f ON f.oid = d.refobjid WHERE r.rulename <> '_RETURN' ")
            // A rule reading a masked column itself (DN1: DO INSTEAD UPDATE … SET note = (SELECT reverse(ssn) …) RETURNING …).
            .Append("UNION SELECT r.ev_class FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass ")
            .Append("AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass JOIN masked m ON m.rel = d.refobjid ")
            .Append("AND (d.refobjsubid = m.col OR d.refobjsubid = 0) WHERE r.rulename <> '_RETURN' AND d.refobjid <> r.ev_class)) ")
            .Append("AND a.attnum > 0 AND NOT a.attisdropped ")
            // Not on into a relation holding a masked column, whose clean columns would all be masked
            // (its rule writing its rows into a log filled by them led back to it).
            .Append("UNION SELECT m.up, m.upcol FROM ffilled u JOIN fup m ON m.rel = u.rel AND (m.col IS NULL OR m.col = u.col) ")
            .Append("WHERE NOT m.up = ANY (ARRAY(SELECT rel FROM holders))), ")
            // And the views reading such a filled column, or its row (probe DE1: a view over one let it
            // out as the view's own), which are then masked by what their columns read.
            .Append("fviews (view) AS (SELECT view FROM fcallers UNION SELECT x.view FROM reads x JOIN ffilled u ON x.rel = u.rel AND (x.col = u.col OR x.col = 0) ")
            // A whole row read with some of its columns leaves only their dependencies (probe DF3, as QA1).
            .Append("UNION SELECT w.ev_class FROM reads x JOIN ffilled u ON x.rel = u.rel JOIN pg_catalog.pg_rewrite w ON w.ev_class = x.view ")
            .Append("AND w.rulename = '_RETURN' WHERE w.ev_action::text LIKE '%:varattno 0 %' ")
            .Append("UNION SELECT x.view FROM reads x JOIN fviews t ON x.rel = t.view) ")
            .ToString();
    }

    /// <summary>
    /// A body's text with its comments read as spaces (a comment inside a string is cut too): block
    /// comments from the innermost out, five deep, as PostgreSQL nests them (probe DN4: a comment in
    /// a comment hid the table name), then line comments.
    /// </summary>
    private static string Uncommented(string src)
    {
        const string Innermost = "'/[*]([^*/]|[*]+[^*/]|/+[^*/])*[*]+/'";
        var text = src;
        for (var level = 0; level < 5; level++)
        {
            text = $"regexp_replace({text}, {Innermost}, ' ', 'g')";
        }

        // A line comment ends at a line feed or a carriage return (review R3).
        return $"regexp_replace({text}, '--[^' || chr(10) || chr(13) || ']*', ' ', 'g')";
    }

    /// <summary>
    /// The relations (<c>c</c>) a text writes into by name, joined after a FROM item, ending in a
    /// WHERE clause a caller may go on with.
    /// </summary>
    private static string WrittenRelations(string text) =>
        $"CROSS JOIN LATERAL regexp_matches({text}, '{WriteTarget}', 'gi') m " +
        $"CROSS JOIN LATERAL (SELECT {TargetName}) n (name) JOIN pg_catalog.pg_class c ON c.relname = n.name " +
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')";

    /// <summary>
    /// The relation name a <see cref="WriteTarget"/> match gives (m[1], m[2] its UESCAPE character):
    /// unquoted in lower case, quoted as written, a <c>U&amp;"…"</c> name decoded (probe DN2) where its
    /// escapes are of ASCII characters (chr() of others can fail in a database's encoding, and
    /// unistr() exists from PostgreSQL 14 only; either failing would fail the whole login's read:
    /// review R5, R6), and cut to 63 bytes at a character's end, as PostgreSQL cuts an identifier
    /// (DN3). Backslashes are written chr(92), past C#'s, SQL's and the regex's escaping.
    /// </summary>
    private const string TargetName =
        "(SELECT CASE WHEN octet_length(t) <= 63 THEN t ELSE (SELECT left(t, k) FROM generate_series(63, 1, -1) k WHERE octet_length(left(t, k)) <= 63 LIMIT 1) END " +
        "FROM (SELECT CASE WHEN m[1] ~* '^u&\"' THEN (SELECT CASE WHEN e ~ ('^(' || b || '(?:[+]00)?00[2-7][0-9a-fA-F]|' || b || b || '|[^' || b || '])*$') " +
        "THEN (SELECT string_agg(CASE WHEN y.x[1] IS NOT NULL THEN chr(('x' || y.x[1])::bit(16)::int) WHEN y.x[2] IS NOT NULL THEN chr(92) ELSE y.x[3] END, '' ORDER BY y.n) " +
        "FROM regexp_matches(e, b || '(?:[+]00)?(00[2-7][0-9a-fA-F])|(' || b || b || ')|([^' || b || '])', 'g') WITH ORDINALITY y (x, n)) END " +
        "FROM (SELECT CASE WHEN m[2] IS NULL THEN u ELSE replace(replace(u, chr(92), chr(92) || chr(92)), m[2], chr(92)) END, chr(92) || chr(92) " +
        "FROM (SELECT replace(substr(m[1], 4, length(m[1]) - 4), '\"\"', '\"')) q (u)) r (e, b)) " +
        "WHEN left(m[1], 1) = '\"' THEN replace(substr(m[1], 2, length(m[1]) - 2), '\"\"', '\"') ELSE lower(m[1]) END) x (t))";

    /// <summary>
    /// A relation a body writes into (a regex in a standard string): the name after INTO (INSERT, MERGE,
    /// SELECT … INTO), UPDATE, COPY, CREATE [TEMP|UNLOGGED] TABLE or MATERIALIZED VIEW [IF NOT EXISTS],
    /// past ONLY and a schema, unquoted or quoted (its doubled quotes kept).
    /// </summary>
    private const string WriteTarget =
        "(?:^|[^[:alnum:]_$])(?:into(?:[[:space:]]+|(?=\"))(?:(?:temp|temporary|unlogged)[[:space:]]+)?(?:table(?:[[:space:]]+|(?=\")))?|update(?:[[:space:]]+|(?=\"))|copy(?:[[:space:]]+|(?=\"))" +
        "|create[[:space:]]+(?:(?:global|local)[[:space:]]+)?(?:(?:temp|temporary|unlogged)[[:space:]]+)?table(?:[[:space:]]+|(?=\"))|materialized[[:space:]]+view(?:[[:space:]]+|(?=\")))" +
        "(?:if[[:space:]]+not[[:space:]]+exists[[:space:]]+)?(?:only[[:space:]]+)?" +
        "(?:(?:(?:u&)?\"(?:[^\"]|\"\")+\"(?:[[:space:]]*uescape[[:space:]]*''[^'']'')?|[[:alnum:]_$]+)[[:space:]]*[.][[:space:]]*)?" +
        "((?:u&)?\"(?:[^\"]|\"\")+\"|[[:alnum:]_$]+)(?:[[:space:]]*uescape[[:space:]]*''([^''])'')?";

    /// <summary>What keeps a value for a later statement (a regex for an <c>E'…'</c> string): the copy check's sinks, nextval, and SQL built at run time.</summary>
    private static readonly string SideChannelWrite =
        "\\\\m(" + string.Join("|", Appliance.Policy.Masking.Masker.Sinks.Order(StringComparer.Ordinal)) + "|nextval|execute)\\\\M";

    /// <summary>A body or default reading such a kept value back (a regex for an <c>E'…'</c> string).</summary>
    private const string SideChannelRead = "\\\\m(current_setting|currval|lastval|pg_sequence_last_value|lo_get|loread|pg_settings|pg_largeobject|pg_locks|last_value)\\\\M";

    /// <summary>
    /// What makes a body unreadable by its words (a regex, written for an <c>E'…'</c> string): a name escaped in a <c>U&amp;"…"</c> or <c>U&amp;'…'</c> literal or a string's
    /// octal, hex or Unicode escape (probe DB1, DB2: <c>U&amp;"\0073sn"</c>, <c>E'\163sn'</c>), and SQL
    /// built at run time: PL/pgSQL's <c>EXECUTE</c>, the functions that run a query given as text
    /// (<c>query_to_xml</c>, <c>ts_stat</c>, <c>dblink</c> …; DB3: a function reading any relation by
    /// a regclass argument). Such a function is taken to return a masked column: its callers' columns
    /// are masked whole, copies of them refused.
    /// </summary>
    internal const string UnreadableBody =
        @"u&[''""]|\\\\([0-7]{3}|x[0-9a-f]{2}|u[0-9a-f]{4})|\\m(execute|query_to_xml\\w*|table_to_xml\\w*|cursor_to_xml\\w*|schema_to_xml\\w*|database_to_xml\\w*|ts_stat|ts_rewrite|dblink\\w*)\\M";
}
