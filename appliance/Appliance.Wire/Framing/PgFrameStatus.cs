namespace Appliance.Wire.Framing;

internal enum PgFrameStatus
{
    /// <summary>A whole message is in the buffer.</summary>
    Complete,

    /// <summary>More bytes are needed; nothing was consumed. The frame carries type and length once the 5-byte header is in.</summary>
    Incomplete,

    /// <summary>The header announces a length above the caller's maximum; nothing was consumed and nothing should be buffered.</summary>
    TooLarge,
}
