namespace Appliance.Wire;

/// <summary>
/// A peer broke the PostgreSQL protocol (bad length, malformed body, unknown code). The
/// connection cannot be trusted to stay in sync after this; the usual answer is a FATAL
/// ErrorResponse carrying <see cref="SqlState"/> and closing the connection.
/// </summary>
internal sealed class PgProtocolException : Exception
{
    public PgProtocolException()
        : this("Protocol violation.")
    {
    }

    public PgProtocolException(string message)
        : this(message, SqlStates.ProtocolViolation)
    {
    }

    public PgProtocolException(string message, Exception innerException)
        : base(message, innerException) => SqlState = SqlStates.ProtocolViolation;

    public PgProtocolException(string message, string sqlState)
        : base(message) => SqlState = sqlState;

    /// <summary>08P01 unless the violation has a more precise code (e.g. 0A000 for an unsupported protocol version).</summary>
    public string SqlState { get; }

    /// <summary>
    /// A message type for an error text: <c>'Q'</c> when printable, else its number. The raw byte
    /// could be a NUL, which would end the ErrorResponse field carrying it (probe AY).
    /// </summary>
    public static string DescribeType(byte type) => type is >= 0x21 and <= 0x7E ? $"'{(char)type}'" : $"{type} (0x{type:X2})";
}
