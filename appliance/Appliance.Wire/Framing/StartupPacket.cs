namespace Appliance.Wire.Framing;

/// <summary>
/// The untyped first packet a client sends (or a TLS handshake instead of one). Switch on the
/// concrete type. Materialised, since it arrives once per connection.
/// </summary>
internal abstract record StartupPacket;

/// <summary>SSLRequest (code 80877103): answer 'S' and start TLS, or 'N'.</summary>
internal sealed record SslRequestPacket : StartupPacket
{
    public static readonly SslRequestPacket Instance = new();
}

/// <summary>GSSENCRequest (code 80877104): answer 'N' (no GSSAPI encryption), the client then usually sends an SSLRequest or StartupMessage.</summary>
internal sealed record GssEncRequestPacket : StartupPacket
{
    public static readonly GssEncRequestPacket Instance = new();
}

/// <summary>
/// A TLS ClientHello instead of a packet (PostgreSQL 17 sslnegotiation=direct). Nothing was
/// consumed: the buffered bytes belong to the TLS handshake and must be handed to it.
/// </summary>
internal sealed record DirectTlsHandshake : StartupPacket
{
    /// <summary>The TLS record type of a handshake; a startup packet's first byte is always 0, its length being below 10000.</summary>
    public const byte TlsHandshakeRecordType = 0x16;

    public static readonly DirectTlsHandshake Instance = new();
}

/// <summary>CancelRequest (code 80877102). The key is 4 bytes under protocol 3.0 and up to 256 from 3.2.</summary>
internal sealed record CancelRequestPacket(int ProcessId, byte[] SecretKey) : StartupPacket;
