namespace Appliance.Wire.Frontend;

/// <summary>Close 'C' (frontend): drops a prepared statement or portal; answered by CloseComplete.</summary>
internal readonly ref struct CloseMessage
{
    private CloseMessage(DescribeTarget target, ReadOnlySpan<byte> name)
    {
        Target = target;
        Name = name;
    }

    public DescribeTarget Target { get; }

    public ReadOnlySpan<byte> Name { get; }

    public static CloseMessage Parse(ReadOnlySpan<byte> body)
    {
        var target = DescribeTargetReader.Read(body, "Close", out var name);
        return new CloseMessage(target, name);
    }
}
