namespace Appliance.Gateway.Postgres.Upstream;

/// <summary>
/// The upstream refused the gateway's login or could not be reached. The message is safe for
/// the client: it never carries the stored credentials.
/// </summary>
internal sealed class UpstreamLoginException : Exception
{
    public UpstreamLoginException()
    {
    }

    public UpstreamLoginException(string message)
        : base(message)
    {
    }

    public UpstreamLoginException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UpstreamLoginException(string sqlState, string message, Exception? innerException = null)
        : base(message, innerException) => SqlState = sqlState;

    /// <summary>What the client's FATAL carries: 08001 (cannot connect) unless the upstream said more.</summary>
    public string SqlState { get; } = Appliance.Wire.SqlStates.SqlClientUnableToEstablishConnection;
}
