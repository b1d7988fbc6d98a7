namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// One expected response, in the order the client will read responses. The client thread
/// appends entries before it forwards the messages they answer; the upstream thread takes them
/// off as the upstream answers, and writes the gateway's own answers when they come up.
/// </summary>
internal struct PendingEntry
{
    public PendingKind Kind;

    /// <summary>Answers to messages the gateway injected (a Describe masking needs): not relayed.</summary>
    public bool Swallow;

    /// <summary>Bind, DescribePortal, Execute: the portal they concern.</summary>
    public PortalState? Portal;

    /// <summary>Query, Execute: what the audit record of the statement collects.</summary>
    public StatementTrace? Trace;

    /// <summary>Local, InjectedError: the messages to send.</summary>
    public byte[]? Local;

    /// <summary>
    /// A Sync entry that stands for the ReadyForQuery of a refused Query or FunctionCall's failing
    /// stand-in, not for a Sync: inside an extended batch that failed, PostgreSQL skips the stand-in
    /// with the rest, so this entry is skipped too (probe MB1).
    /// </summary>
    public bool AnswersQuery;

    /// <summary>A simple Query's DECLAREs, learnt as PostgreSQL answers them.</summary>
    public CursorDeclares? Declares;

    /// <summary>
    /// Query (when columns are masked by name): the query text, for plans over computed columns;
    /// Parse: the statement's text, to tell whether its error may carry a masked value.
    /// </summary>
    public byte[]? QueryText;

    /// <summary>A Parse's statement: marked when the upstream refused or skipped the Parse.</summary>
    public StatementInfo? Statement;

    /// <summary>Sync, Query: the batch they end (PgSession.Portals.cs).</summary>
    public long Batch;

    /// <summary>CopyProbe, and the Query of the COPY it describes: what the probe learnt.</summary>
    public CopyProbe? Probe;

    /// <summary>
    /// How many COPY FROM STDIN data streams the client had ended (CopyDone, CopyFail) when it
    /// sent this message: a Sync sent while the upstream reads COPY data is ignored there
    /// (PgSession.CopyIn.cs).
    /// </summary>
    public long CopyEnds;
}
