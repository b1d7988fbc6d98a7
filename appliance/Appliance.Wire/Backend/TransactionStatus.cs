namespace Appliance.Wire.Backend;

/// <summary>ReadyForQuery's status byte. After a locally generated error the gateway repeats the last upstream status.</summary>
internal enum TransactionStatus : byte
{
    Idle = (byte)'I',
    InTransaction = (byte)'T',
    Failed = (byte)'E',
}
