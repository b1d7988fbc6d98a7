namespace Appliance.Wire;

/// <summary>
/// Size limits. Every length a peer sends is checked against one of these before anything
/// is buffered. Lengths are the protocol's Int32 length word, which counts itself but not
/// the type byte.
/// </summary>
internal static class PgLimits
{
    /// <summary>The postmaster's MAX_STARTUP_PACKET_LENGTH (src/include/libpq/pqcomm.h).</summary>
    public const int MaxStartupPacketLength = 10000;

    /// <summary>The smallest untyped first packet: length word plus request code.</summary>
    public const int MinStartupPacketLength = 8;

    /// <summary>PG_MAX_AUTH_TOKEN_LENGTH: the server's bound for password and SASL messages.</summary>
    public const int MaxAuthMessageLength = 65535;

    /// <summary>PQ_LARGE_MESSAGE_LIMIT: nothing legal on the wire is longer (1 GB - 1).</summary>
    public const int MaxProtocolMessageLength = 0x3FFFFFFF;

    /// <summary>
    /// The gateway's default bound on a buffered message. A proxy must hold a whole message to
    /// inspect it, so this is far below the protocol's 1 GB; raise it per connection if a
    /// workload really moves larger rows.
    /// </summary>
    public const int DefaultMaxMessageLength = 64 * 1024 * 1024;

    /// <summary>Type byte plus length word.</summary>
    public const int MessageHeaderLength = 5;

    /// <summary>Cancel keys are 4 bytes in protocol 3.0 and 4..256 bytes from 3.2 on.</summary>
    public const int MinCancelKeyLength = 4;

    public const int MaxCancelKeyLength = 256;
}
