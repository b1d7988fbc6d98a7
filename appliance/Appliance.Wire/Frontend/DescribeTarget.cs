using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>What Describe and Close name: a prepared statement or a portal.</summary>
internal enum DescribeTarget : byte
{
    Statement = (byte)'S',
    Portal = (byte)'P',
}

/// <summary>The shared body of Describe and Close: <c>Byte1 'S'|'P', String name</c>.</summary>
internal static class DescribeTargetReader
{
    public static DescribeTarget Read(ReadOnlySpan<byte> body, string messageName, out ReadOnlySpan<byte> name)
    {
        var reader = new PgBodyReader(body, messageName);
        var target = reader.ReadByte();
        if (target is not ((byte)'S' or (byte)'P'))
        {
            WireThrow.Malformed(messageName, $"unknown target kind {target} (expected 'S' or 'P')");
        }

        name = reader.ReadCString();
        reader.EnsureEnd();
        return (DescribeTarget)target;
    }
}
