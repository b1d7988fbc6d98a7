using Appliance.Policy.Masking;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// A portal from Bind (or a cursor executed by name): its statement, its parameters for the
/// audit log, and once its RowDescription has come back, the result shape and masking plan its
/// DataRows are relayed with. Created by the client thread; the shape and plan are set and read
/// by the upstream thread only.
/// </summary>
internal sealed class PortalState(StatementInfo statement, IReadOnlyList<string?>? parameters)
{
    public StatementInfo Statement { get; } = statement;

    public IReadOnlyList<string?>? Parameters { get; } = parameters;

    /// <summary>A Describe of this portal was sent upstream (by the client or injected by the gateway).</summary>
    public bool Described { get; set; }

    public ResultShapeInfo? Shape { get; set; }

    public ResultMaskPlan? Plan { get; set; }
}
