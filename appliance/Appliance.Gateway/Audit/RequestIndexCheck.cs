using System.Data.Common;
using System.Text.Json;
using Appliance.Gateway.Access;
using Appliance.Gateway.Events;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Audit;

/// <summary>
/// The <c>requests</c> and <c>approvals</c> tables are what <c>/api/requests</c> reads (who
/// asked, who approved, why); every change to them is written with an event carrying the new
/// state whole. While the verifier walks the chain this keeps each request's last chained state,
/// then compares the rows: a request rewritten (requester, approver, reason, status), deleted or
/// made up is reported (probe AZ: they could be edited while the chain verified).
/// </summary>
internal sealed class RequestIndexCheck
{
    /// <summary>What no change made by the gateway alters once a request exists.</summary>
    private static readonly string[] Fixed =
        ["id", "kind", "connection", "requester", "reason", "createdAt", "pendingUntil", "minApprovals", "approverGroups", "channel", "command"];

    private readonly Dictionary<string, (long Seq, string State)> _last = new(StringComparer.Ordinal);

    /// <summary>The first event whose state rewrites what an earlier one of its request fixed, or whose approvals drop one.</summary>
    public (long Seq, string Problem)? Rewritten { get; private set; }

    public void Add(StoredEvent e)
    {
        if (e.RequestId is null || !e.Data.Contains("\"request\"", StringComparison.Ordinal))
        {
            return;
        }

        using var data = JsonDocument.Parse(e.Data);
        if (data.RootElement.TryGetProperty("request", out var request) && request.ValueKind == JsonValueKind.Object)
        {
            if (Rewritten is null)
            {
                // A row edited outside the gateway and then written by a later change (an end goes
                // through) leaves the chain disagreeing with itself (probes CA, CF).
                string? problem;
                if (_last.TryGetValue(e.RequestId, out var before))
                {
                    using var earlier = JsonDocument.Parse(before.State);
                    problem = Rewrites(e.Type, earlier.RootElement, request) is { } field
                        ? $"changes request {e.RequestId}'s {field}, which event {before.Seq} recorded otherwise"
                        : Transition(e.Type, earlier.RootElement, request);
                }
                else
                {
                    problem = e.Type is EventTypes.RequestCreated ? null : $"is request {e.RequestId}'s first, a {e.Type}, not its creation";
                }

                if (problem is not null)
                {
                    Rewritten = (e.Seq, $"event {e.Seq} {problem}: the request was changed outside the gateway");
                }
            }

            _last[e.RequestId] = (e.Seq, request.GetRawText());
        }
    }

    /// <summary>
    /// What the gateway never writes: a state leaving an end (revoked, expired, denied, cancelled;
    /// a statement review's end only says how it ended), or an expiry moved by anything but an
    /// approval or an extension. Null when the step is one it writes.
    /// </summary>
    private static string? Transition(string type, JsonElement before, JsonElement after)
    {
        var from = before.GetProperty("status").GetString();
        var to = after.GetProperty("status").GetString();
        if (from is "revoked" or "expired" or "denied" or "cancelled")
        {
            var reviewEndSaid = from == to && type == EventTypes.CommandAbandoned;
            return reviewEndSaid ? null : $"moves request from {from} to {to} ({type})";
        }

        var expiryBefore = before.TryGetProperty("expiresAt", out var x) ? x.GetRawText() : null;
        var expiryAfter = after.TryGetProperty("expiresAt", out var y) ? y.GetRawText() : null;
        return expiryBefore != expiryAfter && from == "active" && type != EventTypes.GrantExtended
            ? $"moves request's expiry ({type})"
            : null;
    }

    private static string? Rewrites(string type, JsonElement before, JsonElement after)
    {
        foreach (var name in Fixed)
        {
            var had = before.TryGetProperty(name, out var a) ? a.GetRawText() : null;
            var has = after.TryGetProperty(name, out var b) ? b.GetRawText() : null;
            if (had != has && !ChangedByTheGateway(type, name, a, b))
            {
                return name;
            }
        }

        // Approvals are only ever added.
        var kept = after.TryGetProperty("approvals", out var now) && now.ValueKind == JsonValueKind.Array
            ? now.EnumerateArray().Select(x => x.GetRawText()).ToHashSet(StringComparer.Ordinal)
            : [];
        return before.TryGetProperty("approvals", out var then) && then.ValueKind == JsonValueKind.Array
            && then.EnumerateArray().Any(x => !kept.Contains(x.GetRawText()))
            ? "approvals"
            : null;
    }

    /// <summary>
    /// The two changes the gateway makes to what is otherwise fixed: an approval under a raised
    /// <c>minApprovals</c> keeps the count that applies (probe HB1), and an approval spent in
    /// another session than the one held names it, once (<c>ranIn</c>, probe JC2).
    /// </summary>
    private static bool ChangedByTheGateway(string type, string name, JsonElement before, JsonElement after) => name switch
    {
        "minApprovals" => type == EventTypes.RequestApprovalAdded
            && before.ValueKind == JsonValueKind.Number && after.ValueKind == JsonValueKind.Number && after.GetInt32() > before.GetInt32(),
        "command" => type == EventTypes.CommandExecuted
            && before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object
            && (!before.TryGetProperty("ranIn", out var had) || had.ValueKind == JsonValueKind.Null)
            && after.TryGetProperty("ranIn", out var has) && has.ValueKind == JsonValueKind.String
            && SameExceptRanIn(before, after),
        _ => false,
    };

    private static bool SameExceptRanIn(JsonElement before, JsonElement after)
    {
        static IEnumerable<string> Fields(JsonElement o) =>
            o.EnumerateObject().Where(p => p.Name != "ranIn").Select(p => p.Name + "=" + p.Value.GetRawText());
        return Fields(before).SequenceEqual(Fields(after));
    }

    /// <summary>The first disagreement between the tables and the chain, or null.</summary>
    public async Task<(long? Seq, string Problem)?> CompareAsync(DbConnection connection, DbTransaction transaction)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in await RequestStore.AllAsync(connection, transaction))
        {
            seen.Add(request.Id);
            if (!_last.TryGetValue(request.Id, out var chained))
            {
                return (null, $"request {request.Id} is in the requests table but the chain never recorded it");
            }

            var stored = StoreJson.Serialize(RequestView.From(request));
            if (stored != chained.State)
            {
                return (chained.Seq, $"request {request.Id}'s row is not what the chain last recorded (event {chained.Seq}): {Differences(stored, chained.State)} differ");
            }
        }

        foreach (var (id, chained) in _last)
        {
            if (!seen.Contains(id))
            {
                return (chained.Seq, $"request {id} (last recorded in event {chained.Seq}) is missing from the requests table");
            }
        }

        return null;
    }

    /// <summary>The top-level fields that differ, by name.</summary>
    private static string Differences(string stored, string chained)
    {
        using var a = JsonDocument.Parse(stored);
        using var b = JsonDocument.Parse(chained);
        var names = a.RootElement.EnumerateObject().Select(p => p.Name).Union(b.RootElement.EnumerateObject().Select(p => p.Name))
            .Where(name => !(a.RootElement.TryGetProperty(name, out var x) && b.RootElement.TryGetProperty(name, out var y) && x.GetRawText() == y.GetRawText()));
        return string.Join(", ", names);
    }
}
