using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>ReadyForQuery 'Z'.</summary>
internal readonly ref struct ReadyForQueryMessage
{
    private ReadyForQueryMessage(TransactionStatus status) => Status = status;

    public TransactionStatus Status { get; }

    public static ReadyForQueryMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "ReadyForQuery");
        var status = reader.ReadByte();
        if (status is not ((byte)'I' or (byte)'T' or (byte)'E'))
        {
            WireThrow.Malformed("ReadyForQuery", $"unknown transaction status {status}");
        }

        reader.EnsureEnd();
        return new ReadyForQueryMessage((TransactionStatus)status);
    }
}
