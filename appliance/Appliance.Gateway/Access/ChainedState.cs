using System.Data.Common;
using System.Text.Json;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Access;

/// <summary>
/// Every change the gateway makes to a request writes an event carrying its new state whole, so
/// a row that differs from its last event was changed outside the gateway (probes CA, CF).
/// </summary>
internal static class ChainedState
{
    /// <summary>The row as read equals the state its last chained event carries.</summary>
    public static async Task<bool> MatchesAsync(DbConnection connection, DbTransaction? transaction, AccessRequest current)
    {
        var last = await connection.QueryFirstOrDefaultAsync<string>(
            // A grant's sessions carry its id too (session.started): the request's own events only.
            "SELECT data FROM events WHERE request_id = @id AND type NOT LIKE 'session.%' ORDER BY seq DESC LIMIT 1", new { id = current.Id }, transaction);
        if (last is null)
        {
            return false;
        }

        using var data = JsonDocument.Parse(last);
        return data.RootElement.TryGetProperty("request", out var chained)
            && chained.GetRawText() == StoreJson.Serialize(RequestView.From(current));
    }

    /// <summary>The grant, read whole (its approvals too), matches its chained state.</summary>
    public static async Task<bool> MatchesAsync(StoreDatabase database, RequestStore requests, string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await requests.GetAsync(connection, null, id) is { } whole && await MatchesAsync(connection, null, whole);
    }
}
