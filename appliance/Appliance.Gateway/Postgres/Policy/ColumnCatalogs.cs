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

    /// <summary>A catalog read this long is logged as a warning.</summary>
    private static readonly TimeSpan SlowCatalog = TimeSpan.FromSeconds(2);

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
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reader = Load(upstream, query, knownViews);
        if (reader.Canceled)
        {
            // A client's statement_timeout of a millisecond or so can fire on the SET LOCAL that lifts
            // it, on a busy server (seen under the test suite's load): asked once more.
            reader = Load(upstream, query, knownViews);
        }

        // An operator sees why logins are slow, or cut by the startup timeout (probe VC4: nothing said so).
        var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        if (took >= SlowCatalog)
        {
            Log.CatalogSlow(logger, connection.Name, (long)took.TotalMilliseconds);
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

        foreach (var (relation, column, _, _) in columns.Count > 0 ? reader.FunctionFilled : [])
        {
            // Filled by a function that may return a masked column: a masked column of its own, under
            // the first masked name (as a view calling one reads).
            reader.Masked.TryAdd(ColumnCatalog.Key(relation, column), columns[0]);
        }

        _viewQueries[key] = reader.Views.ToDictionary(v => v.Version, v => v.View.Query, StringComparer.Ordinal);
        var maskedViews = MaskedViews.Resolve(reader.Masked, [.. reader.Views.Select(v => v.View)], columns.FirstOrDefault());
        foreach (var (_, _, relationName, columnName) in columns.Count > 0 ? reader.FunctionFilled : [])
        {
            // Named in a statement, it counts as a masked column, as a renaming view's column does; its
            // relation holds one (whole rows, *).
            (maskedViews.TryGetValue(relationName, out var names) ? names : maskedViews[relationName] = new(StringComparer.Ordinal)).Add(columnName);
        }

        foreach (var (relation, carriers) in reader.Carriers)
        {
            // Named in a statement, a carrier counts as its masked column, as a view's renamed one does.
            (maskedViews.TryGetValue(relation, out var names) ? names : maskedViews[relation] = new(StringComparer.Ordinal)).UnionWith(carriers);
        }

        // A user function a whole row can be the one argument of, called in attribute notation (c.f),
        // gives the row's values out under its name: the name counts as a masked column's, as such a
        // function's does (failing closed on its other calls too).
        foreach (var function in reader.Functions.Union(reader.RowTakers))
        {
            // A call names what the function may return: the function's own name counts as a masked
            // column's wherever it stands (FROM f(), SELECT f(), s.f(), CALL f()), as a renaming view's
            // column does, so its computed and origin-less columns are masked whole and a copy of its
            // output is refused. Its result columns have no origin of their own (table OID 0).
            (maskedViews.TryGetValue(function, out var names) ? names : maskedViews[function] = new(StringComparer.Ordinal)).Add(function);
        }

        if (reader.Functions.Count > 0)
        {
            Log.CatalogFunctions(logger, connection.Name, reader.Functions.Count);
        }

        return new ColumnCatalog(
            reader.Masked.ToFrozenDictionary(), relations.Set, reader.MaskedRelationNames.Concat(maskedViews.Keys).ToFrozenSet(), relations.Names,
            maskedViews.ToFrozenDictionary(v => v.Key, v => v.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal),
            reader.RelationColumns.ToFrozenDictionary(r => r.Key, r => r.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            HasFunctions = reader.Functions.Count > 0,
            SideChannelsMayHoldMasked = reader.SideChannels,
        };
    }

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

        /// <summary>The columns whose default or generated expression calls such a function, and their relations' names.</summary>
        public List<(uint Relation, short Column, string RelationName, string ColumnName)> FunctionFilled { get; } = [];

        /// <summary>The names of the user functions that may return a masked column's value (<see cref="FunctionsQuery"/>).</summary>
        public HashSet<string> Functions { get; } = new(StringComparer.Ordinal);

        /// <summary>User functions a whole row can be the one argument of (kind p): <c>c.f</c> is <c>f(c)</c>.</summary>
        public HashSet<string> RowTakers { get; } = new(StringComparer.Ordinal);

        /// <summary>
        /// The columns of the tables and views holding a masked column, by name: those every
        /// relation of the name has (a column of one only may be a function of another's row).
        /// </summary>
        public Dictionary<string, HashSet<string>> RelationColumns { get; } = new(StringComparer.Ordinal);

        private void AddColumns(string relation, IEnumerable<string> columns)
        {
            if (RelationColumns.TryGetValue(relation, out var known))
            {
                known.IntersectWith(columns);
            }
            else
            {
                RelationColumns[relation] = new HashSet<string>(columns, StringComparer.Ordinal);
            }
        }

        private static string[] ColumnNames(string? json)
        {
            using var document = System.Text.Json.JsonDocument.Parse(json ?? "[]");
            return [.. document.RootElement.EnumerateArray().Select(c => c.GetString() ?? throw new PgProtocolException("Unexpected catalog row."))];
        }

        /// <summary>Whether such a function keeps a value where a later statement reads it back (a setting, a sequence, a large object).</summary>
        public bool SideChannels { get; private set; }

        /// <summary>Each view read, with its version (<c>oid:xmin</c>).</summary>
        public List<(string Version, MaskedViews.View View)> Views { get; } = [];

        public string? Error { get; private set; }

        /// <summary>The error was a cancel (SQLSTATE 57014).</summary>
        public bool Canceled { get; private set; }

        /// <summary>The statements of the query answered so far (two SETs, the columns and relations, the views and functions).</summary>
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
            var values = Values(row, 7);
            switch (values[6])
            {
                case "f":
                    Functions.Add(values[1] ?? throw new PgProtocolException("Unexpected catalog row."));
                    return;
                case "p":
                    RowTakers.Add(values[1] ?? throw new PgProtocolException("Unexpected catalog row."));
                    return;
                case "t":
                    // A write to it may raise what its trigger read: it counts as holding a masked column.
                    MaskedRelationNames.Add(values[1] ?? throw new PgProtocolException("Unexpected catalog row."));
                    return;
                case "s":
                    SideChannels = true;
                    return;
                case "a":
                    AddColumns(values[1] ?? throw new PgProtocolException("Unexpected catalog row."), ColumnNames(values[2]));
                    return;
            }

            if (values[6] == "d")
            {
                if (!uint.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var relation) || values[1] is not { } relationName
                    || values[2] is not { } columnName || !short.TryParse(values[5], NumberStyles.None, CultureInfo.InvariantCulture, out var column))
                {
                    throw new PgProtocolException("Unexpected catalog row.");
                }

                FunctionFilled.Add((relation, column, relationName, columnName));
                return;
            }

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

            // relation:column:row type, each read.
            var reads = new List<(uint, short)>();
            var rowTypes = new Dictionary<uint, uint>();
            foreach (var read in (values[5] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = read.Split(':');
                var relation = uint.Parse(parts[0], CultureInfo.InvariantCulture);
                reads.Add((relation, short.Parse(parts[1], CultureInfo.InvariantCulture)));
                rowTypes[relation] = uint.Parse(parts[2], CultureInfo.InvariantCulture);
            }

            Views.Add((version, new MaskedViews.View(oid, name, columns, query, reads, CallsMaskedFunction: values[6] == "c", RowTypes: rowTypes)));
            AddColumns(name, columns.Values);
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
        /// carries one (<see cref="CarriersQuery"/>), generated from one, or a foreign table's column
        /// naming one remotely.
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
