using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>BackendKeyData 'K': what a CancelRequest must quote. The key is 4 bytes in 3.0, 4 to 256 from 3.2.</summary>
internal readonly ref struct BackendKeyDataMessage
{
    private BackendKeyDataMessage(int processId, ReadOnlySpan<byte> secretKey)
    {
        ProcessId = processId;
        SecretKey = secretKey;
    }

    public int ProcessId { get; }

    public ReadOnlySpan<byte> SecretKey { get; }

    public static BackendKeyDataMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "BackendKeyData");
        var processId = reader.ReadInt32();
        var key = reader.ReadToEnd();
        if (key.Length is < PgLimits.MinCancelKeyLength or > PgLimits.MaxCancelKeyLength)
        {
            WireThrow.Malformed("BackendKeyData", $"a secret key of {key.Length} bytes (4 to 256 allowed)");
        }

        return new BackendKeyDataMessage(processId, key);
    }
}
