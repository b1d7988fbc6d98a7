using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>ParameterStatus 'S' (backend): a reported run-time parameter (server_version, client_encoding, ...).</summary>
internal readonly ref struct ParameterStatusMessage
{
    private ParameterStatusMessage(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Name = name;
        Value = value;
    }

    public ReadOnlySpan<byte> Name { get; }

    public ReadOnlySpan<byte> Value { get; }

    public static ParameterStatusMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "ParameterStatus");
        var name = reader.ReadCString();
        var value = reader.ReadCString();
        reader.EnsureEnd();
        return new ParameterStatusMessage(name, value);
    }
}
