namespace Appliance.Wire.Frontend;

/// <summary>
/// Type bytes of client-to-server messages. The same letters mean other things in the other
/// direction (D, E, C, S, H): see <see cref="Backend.BackendMessageType"/>.
/// </summary>
internal enum FrontendMessageType : byte
{
    Bind = (byte)'B',
    Close = (byte)'C',
    CopyData = (byte)'d',
    CopyDone = (byte)'c',
    CopyFail = (byte)'f',
    Describe = (byte)'D',
    Execute = (byte)'E',
    Flush = (byte)'H',
    FunctionCall = (byte)'F',
    Parse = (byte)'P',

    /// <summary>PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share 'p'; which one is meant depends on the authentication request that preceded it.</summary>
    Password = (byte)'p',
    Query = (byte)'Q',
    Sync = (byte)'S',
    Terminate = (byte)'X',
}
