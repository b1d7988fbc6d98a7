using Appliance.Policy.Masking;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// A portal from Bind (or a cursor executed by name): its statement, its parameters for the
/// audit log, and once its RowDescription has come back, the result shape and masking plan its
/// DataRows are relayed with. Created by the client thread; the shape and plan are set and read
/// by the upstream thread only, except that the client thread sets them at Bind, before the
/// portal is published, when its statement's result is already known.
/// </summary>
internal sealed class PortalState(StatementInfo statement, IReadOnlyList<string?>? parameters)
{
    /// <summary>The batch (counted by Sync and Query) it was bound in (PgSession.Encoding.cs).</summary>
    public long BoundInBatch { get; init; }

    /// <summary>
    /// The count of code-running messages (Query, Execute) when the session last knew what the
    /// portal holds: at its Bind, at its own Execute (PgSession.Portals.cs).
    /// </summary>
    public long TrustedThrough { get; set; }

    public StatementInfo Statement { get; } = statement;

    /// <summary>
    /// What the record shows for an Execute of it when its statement is no longer trusted (a write
    /// or a call ran since, PgSession.Portals.cs): the statement it was bound to, said as such. Its
    /// records had no text at all (probe VB1: pgjdbc's fetches after a write on the same connection).
    /// </summary>
    public string? RecordedAs { get; init; }

    public IReadOnlyList<string?>? Parameters { get; } = parameters;

    /// <summary>
    /// The statement it was bound to, kept when its results are no longer trusted (<see
    /// cref="RecordedAs"/>): what runs is still that statement, and one that runs a SQL-prepared
    /// statement is judged again by what the name holds (probe AG1: a portal bound before the name
    /// was prepared again as a DELETE ran it unreviewed).
    /// </summary>
    public StatementInfo? BoundTo { get; init; }

    /// <summary>Its statement's <see cref="StatementInfo.Generation"/> at Bind.</summary>
    public int StatementGeneration { get; init; }

    /// <summary>The result format codes of its Bind, as on the wire (kept only while its statement's result is unknown).</summary>
    public byte[] ResultFormats { get; init; } = [];

    /// <summary>A Describe of this portal was sent upstream (by the client or injected by the gateway), or its result is known.</summary>
    public bool Described { get; set; }

    /// <summary>Executed once already: a later Execute continues the same run (a row limit suspended it).</summary>
    public bool Started { get; set; }

    public ResultShapeInfo? Shape { get; set; }

    public ResultMaskPlan? Plan { get; set; }
}
