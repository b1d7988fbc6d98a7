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
/// Catalog snapshots for column masking, one per connection, taken on a new session's own
/// upstream leg right after its login (one round trip, before the client's first query) and
/// reused by later sessions until it is old or a session met a relation it did not know.
/// </summary>
internal sealed partial class ColumnCatalogs(PostgresListenerOptions options, TimeProvider time, ILogger<ColumnCatalogs> logger)
{
    private const int MaxMessageLength = 1024 * 1024;

    private readonly ConcurrentDictionary<string, ColumnCatalog> _catalogs = new(StringComparer.Ordinal);

    public async Task<ColumnCatalog> GetAsync(ConnectionPolicy connection, UpstreamConnection upstream, CancellationToken cancellationToken)
    {
        var columns = connection.Masking.SelectMany(p => p.Columns)
            .Where(c => !c.Contains('\\', StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();
        var key = string.Join('\n', [connection.Name, connection.Upstream.ToString(), .. columns]);
        if (_catalogs.TryGetValue(key, out var known) && !known.SawUnknownRelation && time.GetUtcNow() - known.LoadedAt < options.CatalogMaxAge)
        {
            return known;
        }

        var loaded = await LoadAsync(upstream, columns, cancellationToken);
        _catalogs[key] = loaded;
        Log.CatalogLoaded(logger, connection.Name, loaded.RelationCount);
        return loaded;
    }

    /// <summary>
    /// Every relation's OID, and the (relation, attnum) of every column named like a masked one
    /// (the masker compares names case-insensitively, so does the query).
    /// </summary>
    internal static string Query(IReadOnlyList<string> columns)
    {
        var names = string.Join(", ", columns.Select(c => "'" + c.ToLowerInvariant().Replace("'", "''", StringComparison.Ordinal) + "'"));
        return "SELECT a.attrelid, a.attnum, a.attname::text FROM pg_catalog.pg_attribute a " +
               $"WHERE a.attnum > 0 AND NOT a.attisdropped AND lower(a.attname::text) = ANY (ARRAY[{names}]::text[]) " +
               "UNION ALL SELECT c.oid, 0, NULL FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')";
    }

    private async Task<ColumnCatalog> LoadAsync(UpstreamConnection upstream, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        using var output = new OutputBuffer(1024);
        FrontendWriter.WriteQuery(output, Query(columns));
        await output.FlushToAsync(upstream.Stream, cancellationToken);

        var reader = new CatalogReader();
        while (!reader.Done)
        {
            var input = upstream.Input;
            var status = input.TryRead(MaxMessageLength, out var frame);
            if (status == PgFrameStatus.TooLarge)
            {
                throw new UpstreamLoginException(SqlStates.ProtocolViolation, "the upstream sent an oversized message while the gateway read its catalog");
            }

            if (status == PgFrameStatus.Incomplete)
            {
                if (!await input.FillAsync(upstream.Stream, cancellationToken))
                {
                    throw new UpstreamLoginException(SqlStates.ConnectionFailure, "the upstream server closed the connection while the gateway read its catalog");
                }

                continue;
            }

            reader.Read(frame);
            input.Consume(frame.TotalLength);
        }

        if (reader.Error is { } error)
        {
            // Fail closed: an empty snapshot knows no relation, so computed and unknown columns are masked by name.
            Log.CatalogFailed(logger, error);
            return new ColumnCatalog(FrozenDictionary<long, string>.Empty, FrozenSet<uint>.Empty, time.GetUtcNow());
        }

        upstream.Status = reader.Status;
        return new ColumnCatalog(reader.Masked.ToFrozenDictionary(), reader.Relations.ToFrozenSet(), time.GetUtcNow());
    }

    private sealed class CatalogReader
    {
        public Dictionary<long, string> Masked { get; } = [];

        public HashSet<uint> Relations { get; } = [];

        public string? Error { get; private set; }

        public TransactionStatus Status { get; private set; }

        public bool Done { get; private set; }

        public void Read(PgSpanFrame frame)
        {
            switch ((BackendMessageType)frame.Type)
            {
                case BackendMessageType.DataRow:
                    Row(DataRowMessage.Parse(frame.Body));
                    break;
                case BackendMessageType.ErrorResponse:
                    Error = Encoding.UTF8.GetString(ErrorOrNoticeMessage.Parse(frame.Body).Message);
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

        private void Row(DataRowMessage row)
        {
            var values = new string?[3];
            var i = 0;
            foreach (var value in row.Columns)
            {
                if (i < values.Length)
                {
                    values[i] = value.IsNull ? null : Encoding.UTF8.GetString(value.Bytes);
                }

                i++;
            }

            if (i != 3 || !uint.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var relation)
                || !short.TryParse(values[1], NumberStyles.None, CultureInfo.InvariantCulture, out var attnum))
            {
                throw new PgProtocolException("Unexpected catalog row.");
            }

            if (values[2] is { } name)
            {
                Masked[ColumnCatalog.Key(relation, attnum)] = name;
            }
            else
            {
                Relations.Add(relation);
            }
        }
    }
}
