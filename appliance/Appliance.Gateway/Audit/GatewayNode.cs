namespace Appliance.Gateway.Audit;

/// <summary>
/// This gateway process, as the store knows it: each session it relays names it, and it says it
/// is alive in <c>gateway_nodes</c> (<see cref="OrphanedSessions"/>). New at every start.
/// </summary>
internal sealed class GatewayNode
{
    public string Id { get; } = Guid.NewGuid().ToString("N");
}
