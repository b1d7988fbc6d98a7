using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>DataRow 'D' (backend): <c>Int16 count, {Int32 length (-1 = NULL), bytes}*</c>, validated once and enumerated in place.</summary>
internal readonly ref struct DataRowMessage
{
    private DataRowMessage(PgValueList columns) => Columns = columns;

    public int ColumnCount => Columns.Count;

    public PgValueList Columns { get; }

    public static DataRowMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "DataRow");
        var columns = PgValueList.Read(ref reader, reader.ReadCount16("column"));
        reader.EnsureEnd();
        return new DataRowMessage(columns);
    }
}
