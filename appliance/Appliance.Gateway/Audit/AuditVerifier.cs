using Appliance.Gateway.Events;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>The outcome of walking the chain: where it first breaks, if anywhere.</summary>
internal sealed record AuditVerification(bool Ok, long Events, string Head, long? BrokenAtSeq, string? Problem);

/// <summary>
/// Re-computes every event's hash from its fields and its predecessor's hash. An edited event
/// fails its own hash; a deleted one leaves a gap in <c>seq</c> and a broken <c>prev_hash</c> link.
/// Events removed from the very end leave a valid shorter chain that later appends extend again,
/// so an auditor records <c>(events, head)</c> elsewhere (the gateway also logs it,
/// <see cref="AuditAnchorLog"/>) and passes it back as an anchor: the chain must still hold that
/// hash at that event. The session index that search reads, and the requests and approvals that
/// the requests API reads, and the tokens logins read, are checked against the chain too.
/// All of it reads one snapshot of the store, so records committed meanwhile do not disagree.
/// </summary>
internal sealed class AuditVerifier(StoreDatabase database)
{
    private const int PageSize = 5000;

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken, AuditAnchor? anchor = null)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var snapshot = await database.BeginSnapshotAsync(connection, cancellationToken);
        var index = new SessionIndexCheck();
        var requests = new RequestIndexCheck();
        var tokens = new TokenIndexCheck();
        long expectedSeq = 1;
        var prev = EventChain.Genesis;
        long count = 0;
        string? anchorFound = null;
        while (true)
        {
            var page = (await connection.QueryAsync<StoredEvent>(
                "SELECT seq, id, type, occurred_at, actor, connection, request_id, session_id, data, prev_hash, hash " +
                "FROM events WHERE seq >= @from ORDER BY seq LIMIT @limit",
                new { from = expectedSeq, limit = (long)PageSize }, snapshot)).ToList();
            foreach (var e in page)
            {
                if (e.Seq != expectedSeq)
                {
                    return Broken(count, prev, expectedSeq, $"event {expectedSeq} is missing (the next one stored is {e.Seq})");
                }

                if (e.PrevHash != prev)
                {
                    return Broken(count, prev, e.Seq, $"event {e.Seq} does not link to the hash of event {e.Seq - 1}");
                }

                if (EventChain.Hash(e) != e.Hash)
                {
                    return Broken(count, prev, e.Seq, $"event {e.Seq} ({e.Type}, {e.Id}) was altered after it was written");
                }

                if (e.Seq == anchor?.Seq)
                {
                    anchorFound = e.Hash;
                }

                index.Add(e);
                requests.Add(e);
                tokens.Add(e);
                prev = e.Hash;
                expectedSeq++;
                count++;
            }

            if (page.Count < PageSize)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        if (anchor is not null && !string.Equals(anchorFound, anchor.Hash, StringComparison.OrdinalIgnoreCase))
        {
            return Broken(count, prev, anchor.Seq, anchorFound is null
                ? $"the chain holds {count} events, fewer than the {anchor.Seq} recorded: events were removed from its end"
                : $"event {anchor.Seq}'s hash is not the one recorded: the chain was cut and written again at or before it");
        }

        if ((requests.Rewritten ?? await index.CompareAsync(connection, snapshot) ?? await requests.CompareAsync(connection, snapshot)
            ?? await tokens.CompareAsync(connection, snapshot)) is { } mismatch)
        {
            return Broken(count, prev, mismatch.Seq, mismatch.Problem);
        }

        return new AuditVerification(true, count, prev, null, null);
    }

    private static AuditVerification Broken(long count, string head, long? seq, string problem) =>
        new(false, count, head, seq, problem);
}

/// <summary>A point of the chain an auditor recorded: event <see cref="Seq"/> had hash <see cref="Hash"/>.</summary>
internal sealed record AuditAnchor(long Seq, string Hash);
