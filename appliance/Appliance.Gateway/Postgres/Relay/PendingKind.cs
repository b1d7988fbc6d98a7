namespace Appliance.Gateway.Postgres.Relay;

/// <summary>What a queued entry waits for from the upstream, or what the gateway answers itself.</summary>
internal enum PendingKind : byte
{
    /// <summary>ParseComplete.</summary>
    Parse,
    /// <summary>BindComplete.</summary>
    Bind,
    /// <summary>CloseComplete.</summary>
    Close,
    /// <summary>ParameterDescription, then RowDescription or NoData.</summary>
    DescribeStatement,
    /// <summary>RowDescription or NoData: the portal's result shape, which masking needs.</summary>
    DescribePortal,
    /// <summary>DataRows, then CommandComplete, EmptyQueryResponse or PortalSuspended (or a COPY).</summary>
    Execute,
    /// <summary>ReadyForQuery.</summary>
    Sync,
    /// <summary>A simple Query: results per statement, then ReadyForQuery.</summary>
    Query,
    /// <summary>Messages the gateway wrote itself (a refused statement's ErrorResponse), sent when reached.</summary>
    Local,
    /// <summary>A ReadyForQuery the gateway answers itself, with the last status the upstream reported.</summary>
    LocalReady,
    /// <summary>
    /// An Execute of a portal that does not exist, sent upstream in place of a refused message
    /// inside an extended batch, so the upstream fails (and rolls back) the batch as PostgreSQL
    /// would have; its ErrorResponse is replaced with the gateway's.
    /// </summary>
    InjectedError,
    /// <summary>
    /// The gateway's own Parse, Describe and Close of a COPY's query, then Sync, sent ahead of the
    /// COPY to learn its columns: every answer up to the ReadyForQuery is the gateway's, none is relayed.
    /// </summary>
    CopyProbe,
}
