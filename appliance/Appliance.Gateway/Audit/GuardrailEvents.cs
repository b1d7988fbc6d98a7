using Appliance.Gateway.Events;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Audit;

/// <summary>The <c>data</c> of <c>guardrail.blocked</c> and <c>guardrail.alert</c> (docs/api.md).</summary>
/// <param name="StatementSeq">The statement's number in the session's record (<c>data.seq</c> of its replay item).</param>
internal sealed record GuardrailEventData(
    string Connection, string? Channel, string User, string SessionId, string Rule, string Action, string Message, string Statement,
    long? StatementSeq = null);

/// <summary>
/// Writes a guardrail's verdict as an event, in the chain and in the outbox (chat posts blocks and
/// alerts to the connection's channel). The statement must already be masked.
/// </summary>
internal sealed class GuardrailEvents(EventLog events, OutboxSignal outbox)
{
    public async Task RecordAsync(string type, GuardrailEventData data, DateTimeOffset occurredAt, CancellationToken cancellationToken)
    {
        await events.AppendAsync(
            [new NewEvent(type, occurredAt, StoreJson.Serialize(data), data.User, data.Connection, SessionId: data.SessionId)],
            cancellationToken);
        outbox.Notify();
    }
}
