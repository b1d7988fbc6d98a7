using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>
/// Bind 'B': creates <see cref="Portal"/> from <see cref="Statement"/> with parameter values.
/// The result formats are what a masking proxy must remember per portal: they say whether
/// each DataRow column of this portal arrives as text or binary.
/// </summary>
internal readonly ref struct BindMessage
{
    private BindMessage(
        ReadOnlySpan<byte> portal,
        ReadOnlySpan<byte> statement,
        PgFormatCodes parameterFormats,
        PgValueList parameters,
        PgFormatCodes resultFormats)
    {
        Portal = portal;
        Statement = statement;
        ParameterFormats = parameterFormats;
        Parameters = parameters;
        ResultFormats = resultFormats;
    }

    public ReadOnlySpan<byte> Portal { get; }

    public ReadOnlySpan<byte> Statement { get; }

    /// <summary>0 codes (all text), 1 (applies to all) or one per parameter: use <see cref="PgFormatCodes.GetFormat"/>.</summary>
    public PgFormatCodes ParameterFormats { get; }

    public PgValueList Parameters { get; }

    /// <summary>0 codes (all text), 1 (applies to all) or one per result column.</summary>
    public PgFormatCodes ResultFormats { get; }

    public static BindMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "Bind");
        var portal = reader.ReadCString();
        var statement = reader.ReadCString();
        var parameterFormats = PgFormatCodes.Read(ref reader, reader.ReadUInt16());
        var parameterCount = reader.ReadUInt16();
        if (parameterFormats.Count > 1 && parameterFormats.Count != parameterCount)
        {
            WireThrow.Malformed("Bind", $"{parameterFormats.Count} parameter formats for {parameterCount} parameters");
        }

        var parameters = PgValueList.Read(ref reader, parameterCount);
        var resultFormats = PgFormatCodes.Read(ref reader, reader.ReadUInt16());
        reader.EnsureEnd();
        return new BindMessage(portal, statement, parameterFormats, parameters, resultFormats);
    }
}
