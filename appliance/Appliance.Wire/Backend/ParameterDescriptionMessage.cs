using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>ParameterDescription 't': the parameter types of a prepared statement.</summary>
internal readonly ref struct ParameterDescriptionMessage
{
    private ParameterDescriptionMessage(PgOidList parameterTypes) => ParameterTypes = parameterTypes;

    public PgOidList ParameterTypes { get; }

    public static ParameterDescriptionMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "ParameterDescription");
        var types = PgOidList.Read(ref reader, reader.ReadUInt16());
        reader.EnsureEnd();
        return new ParameterDescriptionMessage(types);
    }
}
