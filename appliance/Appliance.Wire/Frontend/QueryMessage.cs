using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>Query 'Q': one string that may hold several statements (run as one implicit transaction).</summary>
internal readonly ref struct QueryMessage
{
    private QueryMessage(ReadOnlySpan<byte> sql) => Sql = sql;

    /// <summary>The query text in the client encoding (UTF-8 for every client we serve), without its NUL.</summary>
    public ReadOnlySpan<byte> Sql { get; }

    public static QueryMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "Query");
        var sql = reader.ReadCString();
        reader.EnsureEnd();
        return new QueryMessage(sql);
    }
}
