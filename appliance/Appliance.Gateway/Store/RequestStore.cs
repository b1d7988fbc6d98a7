using System.Data.Common;
using Appliance.Gateway.Access;
using Dapper;

namespace Appliance.Gateway.Store;

/// <summary>Requests and grants in the store. Writes happen inside the caller's transaction.</summary>
internal sealed class RequestStore(StoreDatabase database)
{
    private const string Columns =
        "id, kind, connection, requester, reason, duration_seconds, status, version, min_approvals, approver_groups, channel, " +
        "created_at, pending_until, activated_at, expires_at, ended_at, denied_by, deny_reason, ended_by, end_reason, extension, command, updated_at";

    public async Task InsertAsync(DbConnection connection, DbTransaction transaction, AccessRequest request, DateTimeOffset now)
    {
        await connection.ExecuteAsync(
            $"INSERT INTO requests ({Columns}) VALUES (@Id, @Kind, @Connection, @Requester, @Reason, @DurationSeconds, @Status, @Version, " +
            "@MinApprovals, @ApproverGroups, @Channel, @CreatedAt, @PendingUntil, @ActivatedAt, @ExpiresAt, @EndedAt, @DeniedBy, @DenyReason, " +
            "@EndedBy, @EndReason, @Extension, @Command, @UpdatedAt)",
            RequestRow.From(request, now), transaction);
        await InsertApprovalsAsync(connection, transaction, request.Id, 0, request.Approvals);
    }

    /// <summary>Writes <paramref name="request"/> if the stored version is still <paramref name="expectedVersion"/>.</summary>
    public async Task<bool> UpdateAsync(
        DbConnection connection, DbTransaction transaction, AccessRequest request, long expectedVersion, DateTimeOffset now)
    {
        var rows = await connection.ExecuteAsync(
            "UPDATE requests SET status = @Status, version = @Version, reason = @Reason, duration_seconds = @DurationSeconds, min_approvals = @MinApprovals, " +
            "activated_at = @ActivatedAt, expires_at = @ExpiresAt, ended_at = @EndedAt, denied_by = @DeniedBy, deny_reason = @DenyReason, " +
            "ended_by = @EndedBy, end_reason = @EndReason, extension = @Extension, command = @Command, updated_at = @UpdatedAt " +
            "WHERE id = @Id AND version = @ExpectedVersion",
            WithExpectedVersion(RequestRow.From(request, now), expectedVersion), transaction);
        return rows == 1;
    }

    private static DynamicParameters WithExpectedVersion(RequestRow row, long expectedVersion)
    {
        var parameters = new DynamicParameters(row);
        parameters.Add("ExpectedVersion", expectedVersion);
        return parameters;
    }

    public Task InsertApprovalsAsync(
        DbConnection connection, DbTransaction transaction, string requestId, int round, IEnumerable<Approval> approvals) =>
        connection.ExecuteAsync(
            "INSERT INTO approvals (request_id, round, approver, comment, at) VALUES (@RequestId, @Round, @Approver, @Comment, @At) " +
            "ON CONFLICT (request_id, round, approver) DO NOTHING",
            approvals.Select(a => new { RequestId = requestId, Round = (long)round, Approver = a.By, a.Comment, At = a.At.ToUnixMs() }),
            transaction);

    public async Task<AccessRequest?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await GetAsync(connection, null, id);
    }

    public async Task<AccessRequest?> GetAsync(DbConnection connection, DbTransaction? transaction, string id)
    {
        var row = await connection.QuerySingleOrDefaultAsync<RequestRow>(
            $"SELECT {Columns} FROM requests WHERE id = @id", new { id }, transaction);
        if (row is null)
        {
            return null;
        }

        var approvals = await connection.QueryAsync<ApprovalRow>(
            "SELECT request_id, round, approver, comment, at FROM approvals WHERE request_id = @id ORDER BY at, approver",
            new { id }, transaction);
        return row.ToRequest(approvals.ToList());
    }

    /// <summary>Those of <paramref name="ids"/> that are no longer active (revoked, expired, ended), without their approvals.</summary>
    public async Task<IReadOnlyList<AccessRequest>> EndedAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RequestRow>(new CommandDefinition(
            $"SELECT {Columns} FROM requests WHERE {database.IsAnyOf("id", "ids")} AND status <> 'active'", new { ids = ids.ToArray() },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRequest([]))];
    }

    public async Task<IReadOnlyList<AccessRequest>> ListAsync(RequestFilter filter, CancellationToken cancellationToken = default)
    {
        var where = new List<string>();
        var parameters = new DynamicParameters();
        if (filter.Statuses is { Count: > 0 })
        {
            var names = filter.Statuses.Select(s => s.ToString().ToLowerInvariant()).ToArray();
            var placeholders = names.Select((_, i) => "@status" + i).ToArray();
            for (var i = 0; i < names.Length; i++)
            {
                parameters.Add("status" + i, names[i]);
            }

            where.Add($"status IN ({string.Join(", ", placeholders)})");
        }

        if (filter.Connection is not null)
        {
            where.Add("connection = @connection");
            parameters.Add("connection", filter.Connection);
        }

        if (filter.Requester is not null)
        {
            where.Add("lower(requester) = lower(@requester)");
            parameters.Add("requester", filter.Requester);
        }

        if (filter.Kind is { } kind)
        {
            where.Add("kind = @kind");
            parameters.Add("kind", kind.ToString().ToLowerInvariant());
        }

        if (filter.UpdatedSince is { } since)
        {
            where.Add("updated_at >= @since");
            parameters.Add("since", since.ToUnixMs());
        }

        parameters.Add("limit", (long)Math.Max(filter.Limit, 1));
        var sql = $"SELECT {Columns} FROM requests" +
                  (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") +
                  // The cluster poller pages through changes oldest first; everyone else wants the newest first.
                  (filter.UpdatedSince is null ? " ORDER BY created_at DESC, id" : " ORDER BY updated_at, id") +
                  " LIMIT @limit";

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<RequestRow>(sql, parameters)).ToList();
        if (rows.Count == 0)
        {
            return [];
        }

        var ids = rows.Select(r => r.Id).ToArray();
        var approvals = new List<ApprovalRow>();
        foreach (var chunk in ids.Chunk(200))
        {
            var p = new DynamicParameters();
            var names = chunk.Select((id, i) => { p.Add("id" + i, id); return "@id" + i; });
            approvals.AddRange(await connection.QueryAsync<ApprovalRow>(
                $"SELECT request_id, round, approver, comment, at FROM approvals WHERE request_id IN ({string.Join(", ", names)}) ORDER BY at, approver",
                p));
        }

        var byRequest = approvals.ToLookup(a => a.RequestId);
        return rows.Select(r => r.ToRequest(byRequest[r.Id].ToList())).ToList();
    }

    /// <summary>Every request with its approvals, in the caller's transaction (the audit verifier's snapshot).</summary>
    public static async Task<IReadOnlyList<AccessRequest>> AllAsync(DbConnection connection, DbTransaction transaction)
    {
        var rows = await connection.QueryAsync<RequestRow>($"SELECT {Columns} FROM requests", transaction: transaction);
        var approvals = (await connection.QueryAsync<ApprovalRow>(
            "SELECT request_id, round, approver, comment, at FROM approvals ORDER BY at, approver", transaction: transaction)).ToLookup(a => a.RequestId);
        return [.. rows.Select(r => r.ToRequest(approvals[r.Id].ToList()))];
    }
}

internal sealed record RequestFilter
{
    public IReadOnlyList<RequestStatus>? Statuses { get; init; }
    public string? Connection { get; init; }
    public string? Requester { get; init; }
    public RequestKind? Kind { get; init; }
    public DateTimeOffset? UpdatedSince { get; init; }
    public int Limit { get; init; } = 200;
}
