using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Upstream;
using Appliance.Policy.Configuration;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// The catalog a session's masking plans look columns up in, read on the session's own upstream
/// leg right after its login (one round trip, before the client's first query): the columns
/// named like a masked column, always fresh, and the relations created since the last session
/// of the connection looked (relation OIDs only grow, so <c>oid &gt; last seen</c> finds them;
/// after an OID wraparound new relations are simply unknown, and the masker fails closed).
/// </summary>
internal sealed partial class ColumnCatalogs(ILogger<ColumnCatalogs> logger)
{
    private const int MaxMessageLength = 1024 * 1024;

    private readonly ConcurrentDictionary<string, Relations> _relations = new(StringComparer.Ordinal);

    /// <summary>
    /// The output origins of the views read at the last login of each connection, by view OID and
    /// version (<c>oid:xmin</c> of its rule, which a CREATE OR REPLACE changes): a login is sent the
    /// query of a view only when it is new or replaced (2,000 views reading a masked column were 5
    /// MB of query text at every login).
    /// </summary>
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, MaskedViews.ViewQuery>> _viewQueries =
        new(StringComparer.Ordinal);

    public ColumnCatalog Get(ConnectionPolicy connection, UpstreamConnection upstream)
    {
        var columns = connection.Masking.SelectMany(p => p.Columns)
            .Where(c => !c.Contains('\\', StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();
        var key = connection.Name + "\n" + connection.Upstream;
        var known = _relations.GetValueOrDefault(key) ?? Relations.None;
        var knownViews = _viewQueries.GetValueOrDefault(key) ?? new Dictionary<string, MaskedViews.ViewQuery>();
        var query = Query(columns, known.MaxOid, [.. knownViews.Keys]);
        var reader = Load(upstream, query, knownViews);
        if (reader.Canceled)
        {
            // A client's statement_timeout of a millisecond or so can fire on the SET LOCAL that lifts
            // it, on a busy server (seen under the test suite's load): asked once more.
            reader = Load(upstream, query, knownViews);
        }

        if (reader.Error is { } error)
        {
            // Fail closed: a catalog that knows no relation masks computed and unknown columns by name.
            Log.CatalogFailed(logger, error);
            return ColumnCatalog.Empty;
        }

        var relations = known;
        if (reader.Relations.Count > 0)
        {
            relations = _relations.AddOrUpdate(key, _ => known.With(reader.Relations), (_, current) => current.With(reader.Relations));
            Log.CatalogLoaded(logger, connection.Name, relations.Set.Count);
        }

        _viewQueries[key] = reader.Views.ToDictionary(v => v.Version, v => v.View.Query, StringComparer.Ordinal);
        var maskedViews = MaskedViews.Resolve(reader.Masked, [.. reader.Views.Select(v => v.View)]);
        foreach (var (relation, carriers) in reader.Carriers)
        {
            // Named in a statement, a carrier counts as its masked column, as a view's renamed one does.
            (maskedViews.TryGetValue(relation, out var names) ? names : maskedViews[relation] = new(StringComparer.Ordinal)).UnionWith(carriers);
        }

        return new ColumnCatalog(
            reader.Masked.ToFrozenDictionary(), relations.Set, reader.MaskedRelationNames.Concat(maskedViews.Keys).ToFrozenSet(), relations.Names,
            maskedViews.ToFrozenDictionary(v => v.Key, v => v.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal));
    }

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
               "UNION ALL SELECT a.attrelid, a.attnum, min(m.attname::text), r.relname::text, a.attname::text FROM " + GeneratedFromMasked(names) +
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
    /// Generated columns (<c>a</c>) whose expression reads a masked column (<c>m</c>): the
    /// expression's pg_attrdef row depends on each column it reads. A default cannot read a column,
    /// so only generated columns have such a dependency.
    /// </summary>
    private static string GeneratedFromMasked(string names) =>
        "pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid " +
        "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = ad.adrelid AND d.refobjsubid > 0 AND d.refobjsubid <> ad.adnum " +
        $"JOIN pg_catalog.pg_attribute m ON m.attrelid = ad.adrelid AND m.attnum = d.refobjsubid AND lower(m.attname::text) = ANY (ARRAY[{names}]::text[]) " +
        $"JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum AND NOT a.attisdropped AND lower(a.attname::text) <> ALL (ARRAY[{names}]::text[]) ";

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
    /// or reads such a view: its OID, name, column count, query and what the query reads.
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
        "agg AS (SELECT x.view, string_agg(x.rel::text || ':' || x.col::text, ',') AS reads FROM reads x GROUP BY x.view) " +
        "SELECT c.oid, c.relname::text, " +
        "(SELECT json_object_agg(a.attnum, a.attname) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text, " +
        "c.oid::text || ':' || r.xmin::text, " +
        $"CASE WHEN c.oid::text || ':' || r.xmin::text = ANY (ARRAY[{knownViews}]::text[]) THEN NULL ELSE r.ev_action::text END, g.reads " +
        "FROM tainted t JOIN pg_catalog.pg_class c ON c.oid = t.view JOIN pg_catalog.pg_rewrite r ON r.ev_class = c.oid AND r.rulename = '_RETURN' " +
        "LEFT JOIN agg g ON g.view = c.oid";

    private static CatalogReader Load(
        UpstreamConnection upstream, string query, IReadOnlyDictionary<string, MaskedViews.ViewQuery> knownViews)
    {
        using (var output = new OutputBuffer(1024))
        {
            FrontendWriter.WriteQuery(output, query);
            output.FlushTo(upstream.Stream);
        }

        var reader = new CatalogReader(knownViews);
        var input = upstream.Input;
        while (!reader.Done)
        {
            var length = UpstreamConnector.ReadMessage(upstream.Stream, input, MaxMessageLength, "the catalog query");
            input.TryRead(MaxMessageLength, out var frame);
            reader.Read(frame);
            input.Consume(length);
        }

        upstream.Status = reader.Status;
        return reader;
    }

    /// <summary>The relations a connection's sessions have seen (OIDs and names), copied on write (new relations are rare).</summary>
    private sealed class Relations(FrozenSet<uint> set, FrozenSet<string> names, uint maxOid)
    {
        public static readonly Relations None = new(FrozenSet<uint>.Empty, FrozenSet<string>.Empty, 0);

        public FrozenSet<uint> Set { get; } = set;

        public FrozenSet<string> Names { get; } = names;

        public uint MaxOid { get; } = maxOid;

        public Relations With(IReadOnlyCollection<(uint Oid, string Name)> added) =>
            new([.. Set, .. added.Select(r => r.Oid)], [.. Names, .. added.Select(r => r.Name)], Math.Max(MaxOid, added.Max(r => r.Oid)));
    }

    private sealed class CatalogReader(IReadOnlyDictionary<string, MaskedViews.ViewQuery> knownViews)
    {
        public Dictionary<long, string> Masked { get; } = [];

        public List<(uint Oid, string Name)> Relations { get; } = [];

        /// <summary>The names of the relations with a masked column: their whole rows carry it.</summary>
        public HashSet<string> MaskedRelationNames { get; } = new(StringComparer.Ordinal);

        /// <summary>Each view read, with its version (<c>oid:xmin</c>).</summary>
        public List<(string Version, MaskedViews.View View)> Views { get; } = [];

        public string? Error { get; private set; }

        /// <summary>The error was a cancel (SQLSTATE 57014).</summary>
        public bool Canceled { get; private set; }

        /// <summary>The statements of the query answered so far (two SETs, the columns and relations, the views).</summary>
        private int _completed;

        public TransactionStatus Status { get; private set; }

        public bool Done { get; private set; }

        public void Read(PgSpanFrame frame)
        {
            switch ((BackendMessageType)frame.Type)
            {
                case BackendMessageType.DataRow when _completed == 3:
                    View(DataRowMessage.Parse(frame.Body));
                    break;
                case BackendMessageType.DataRow:
                    Row(DataRowMessage.Parse(frame.Body));
                    break;
                case BackendMessageType.CommandComplete:
                    _completed++;
                    break;
                case BackendMessageType.ErrorResponse:
                    var error = ErrorOrNoticeMessage.Parse(frame.Body);
                    Error = Encoding.UTF8.GetString(error.Message);
                    Canceled = error.SqlState.SequenceEqual("57014"u8);
                    break;
                case BackendMessageType.ReadyForQuery:
                    Status = ReadyForQueryMessage.Parse(frame.Body).Status;
                    Done = true;
                    break;
                default:
                    // RowDescription, CommandComplete, notices, parameter reports: nothing to keep.
                    break;
            }
        }

        private void View(DataRowMessage row)
        {
            var values = Values(row, 6);
            if (!uint.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var oid) || values[1] is not { } name
                || values[3] is not { } version)
            {
                throw new PgProtocolException("Unexpected catalog row.");
            }

            // Not sent: known from an earlier login (or, if another login's load replaced that meanwhile, read as computed).
            var query = values[4] is { } definition ? MaskedViews.Read(definition) : knownViews.GetValueOrDefault(version) ?? MaskedViews.ViewQuery.Unknown;

            var columns = new Dictionary<short, string>();
            using (var json = System.Text.Json.JsonDocument.Parse(values[2] ?? "{}"))
            {
                foreach (var column in json.RootElement.EnumerateObject())
                {
                    columns[short.Parse(column.Name, CultureInfo.InvariantCulture)] = column.Value.GetString() ?? "";
                }
            }

            var reads = new List<(uint, short)>();
            foreach (var read in (values[5] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = read.IndexOf(':', StringComparison.Ordinal);
                reads.Add((uint.Parse(read.AsSpan(0, colon), CultureInfo.InvariantCulture), short.Parse(read.AsSpan(colon + 1), CultureInfo.InvariantCulture)));
            }

            Views.Add((version, new MaskedViews.View(oid, name, columns, query, reads)));
        }

        private static string?[] Values(DataRowMessage row, int count)
        {
            var values = new string?[count];
            var i = 0;
            foreach (var value in row.Columns)
            {
                if (i < values.Length)
                {
                    values[i] = value.IsNull ? null : Encoding.UTF8.GetString(value.Bytes);
                }

                i++;
            }

            return i == count ? values : throw new PgProtocolException("Unexpected catalog row.");
        }

        /// <summary>
        /// Columns that hold a masked column under their own names, by relation name: of a type that
        /// carries one (<see cref="CarriersQuery"/>), or a foreign table's column naming one remotely.
        /// </summary>
        public Dictionary<string, HashSet<string>> Carriers { get; } = new(StringComparer.Ordinal);

        private void Row(DataRowMessage row)
        {
            var values = Values(row, 5);
            if (values[3] is not { } relationName || !uint.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var relation)
                || !short.TryParse(values[1], NumberStyles.None, CultureInfo.InvariantCulture, out var attnum))
            {
                throw new PgProtocolException("Unexpected catalog row.");
            }

            if (values[2] is { } name)
            {
                // A carrier is masked as the masked column it carries: whole.
                Masked[ColumnCatalog.Key(relation, attnum)] = name;
                MaskedRelationNames.Add(relationName);
                if (values[4] is { } carrier)
                {
                    (Carriers.TryGetValue(relationName, out var carriers) ? carriers : Carriers[relationName] = new(StringComparer.Ordinal)).Add(carrier);
                }
            }
            else
            {
                Relations.Add((relation, relationName));
            }
        }
    }
}
