using Appliance.Wire.Primitives;

namespace Appliance.Wire.Copy;

/// <summary>
/// CopyInResponse 'G', CopyOutResponse 'H' and CopyBothResponse 'W' share this body: the
/// overall format and one format per column. Which direction is meant comes from the type byte.
/// </summary>
internal readonly ref struct CopyResponseMessage
{
    private CopyResponseMessage(PgFormat overallFormat, PgFormatCodes columnFormats)
    {
        OverallFormat = overallFormat;
        ColumnFormats = columnFormats;
    }

    /// <summary>Text (also CSV) or binary. In text, every column format is text too.</summary>
    public PgFormat OverallFormat { get; }

    public PgFormatCodes ColumnFormats { get; }

    public static CopyResponseMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "CopyResponse");
        var overall = reader.ReadByte();
        if (overall > 1)
        {
            WireThrow.Malformed("CopyResponse", $"unknown overall format {overall}");
        }

        var formats = PgFormatCodes.Read(ref reader, reader.ReadCount16("column"));
        reader.EnsureEnd();
        return new CopyResponseMessage((PgFormat)overall, formats);
    }
}
