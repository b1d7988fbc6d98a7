using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>Parse 'P': prepare <see cref="Query"/> as <see cref="StatementName"/> (empty = the unnamed statement).</summary>
internal readonly ref struct ParseMessage
{
    private ParseMessage(ReadOnlySpan<byte> statementName, ReadOnlySpan<byte> query, PgOidList parameterTypes)
    {
        StatementName = statementName;
        Query = query;
        ParameterTypes = parameterTypes;
    }

    public ReadOnlySpan<byte> StatementName { get; }

    public ReadOnlySpan<byte> Query { get; }

    /// <summary>Type OIDs the client fixed; 0 leaves a parameter's type to the server.</summary>
    public PgOidList ParameterTypes { get; }

    public static ParseMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "Parse");
        var name = reader.ReadCString();
        var query = reader.ReadCString();
        var types = PgOidList.Read(ref reader, reader.ReadUInt16());
        reader.EnsureEnd();
        return new ParseMessage(name, query, types);
    }
}
