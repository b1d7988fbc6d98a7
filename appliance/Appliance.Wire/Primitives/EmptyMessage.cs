namespace Appliance.Wire.Primitives;

/// <summary>Messages that are only a type byte and length 4: Sync, Flush, Terminate, CopyDone, NoData, ParseComplete, ...</summary>
internal static class EmptyMessage
{
    public static void Parse(ReadOnlySpan<byte> body, string messageName)
    {
        if (!body.IsEmpty)
        {
            WireThrow.Malformed(messageName, $"{body.Length} unexpected bytes in a message that has no fields");
        }
    }
}
