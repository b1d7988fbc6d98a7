namespace Appliance.Wire.Frontend;

/// <summary>Describe 'D' (frontend): answered by ParameterDescription + RowDescription/NoData for a statement, RowDescription/NoData for a portal.</summary>
internal readonly ref struct DescribeMessage
{
    private DescribeMessage(DescribeTarget target, ReadOnlySpan<byte> name)
    {
        Target = target;
        Name = name;
    }

    public DescribeTarget Target { get; }

    public ReadOnlySpan<byte> Name { get; }

    public static DescribeMessage Parse(ReadOnlySpan<byte> body)
    {
        var target = DescribeTargetReader.Read(body, "Describe", out var name);
        return new DescribeMessage(target, name);
    }
}
