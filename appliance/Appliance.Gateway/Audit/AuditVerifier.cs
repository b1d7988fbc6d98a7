using Appliance.Gateway.Events;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>The outcome of walking the chain: where it first breaks, if anywhere.</summary>
internal sealed record AuditVerification(bool Ok, long Events, string Head, long? BrokenAtSeq, string? Problem);

/// <summary>
/// Re-computes every event's hash from its fields and its predecessor's hash. An edited event
/// fails its own hash; a deleted one leaves a gap in <c>seq</c> and a broken <c>prev_hash</c> link.
/// </summary>
internal sealed class AuditVerifier(StoreDatabase database)
{
    private const int PageSize = 5000;

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        long expectedSeq = 1;
        var prev = EventChain.Genesis;
        long count = 0;
        while (true)
        {
            var page = (await connection.QueryAsync<StoredEvent>(
                "SELECT seq, id, type, occurred_at, actor, connection, request_id, session_id, data, prev_hash, hash " +
                "FROM events WHERE seq >= @from ORDER BY seq LIMIT @limit",
                new { from = expectedSeq, limit = (long)PageSize })).ToList();
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

                prev = e.Hash;
                expectedSeq++;
                count++;
            }

            if (page.Count < PageSize)
            {
                return new AuditVerification(true, count, prev, null, null);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static AuditVerification Broken(long count, string head, long seq, string problem) =>
        new(false, count, head, seq, problem);
}
