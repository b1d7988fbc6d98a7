using Appliance.Policy.Masking;
using Appliance.Policy.Sql;
using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// A RowDescription read once: column names and types for the audit log, each column's format
/// for masking, and whether every column comes straight from a table. Shared by every session
/// through a cache keyed by the message body, so a repeated result shape costs a hash.
/// </summary>
internal sealed class ResultShapeInfo
{
    private static readonly SqlTextCache<ResultShapeInfo> Cache = new(capacity: 4096, maxKeyLength: 16 * 1024);

    private ResultShapeInfo(byte[] body)
    {
        Body = body;
        var description = RowDescriptionMessage.Parse(body);
        var count = description.FieldCount;
        Names = new string[count];
        TypeOids = new uint[count];
        Binary = new bool[count];
        var i = 0;
        var allSourced = true;
        foreach (var field in description)
        {
            Names[i] = System.Text.Encoding.UTF8.GetString(field.Name);
            TypeOids[i] = field.TypeOid;
            Binary[i] = field.Format == PgFormat.Binary;
            allSourced &= field.TableOid != 0;
            i++;
        }

        AllFromTables = allSourced;
    }

    /// <summary>The RowDescription body, to enumerate its fields again without allocating.</summary>
    public byte[] Body { get; }

    public string[] Names { get; }

    public uint[] TypeOids { get; }

    /// <summary>Per column: binary format (from a portal's RowDescription, or a binary cursor's).</summary>
    public bool[] Binary { get; }

    /// <summary>Every column has a source table (none is computed).</summary>
    public bool AllFromTables { get; }

    public int Count => Names.Length;

    /// <summary>The last masker's <see cref="RecordedNames"/>: shapes are shared by connections, most by one policy.</summary>
    private NamesFor? _recorded;

    /// <summary>
    /// The column names as the audit log may hold them: an alias is typed by the client like the
    /// statement's literals are, and masked as they are (<c>SELECT 1 AS "4111111111111111"</c>, probe AF).
    /// </summary>
    public string[] RecordedNames(Masker masker)
    {
        if (_recorded is { } recorded && ReferenceEquals(recorded.Masker, masker))
        {
            return recorded.Names;
        }

        string[]? masked = null;
        for (var i = 0; i < Names.Length; i++)
        {
            if (masker.Mask(Names[i]) is var name && !ReferenceEquals(name, Names[i]))
            {
                masked ??= (string[])Names.Clone();
                masked[i] = name;
            }
        }

        var names = masked ?? Names;
        _recorded = new NamesFor(masker, names);
        return names;
    }

    private sealed record NamesFor(Masker Masker, string[] Names);

    public bool IsBinary(int column) => (uint)column < (uint)Binary.Length && Binary[column];

    /// <exception cref="Appliance.Wire.PgProtocolException">A malformed RowDescription.</exception>
    public static ResultShapeInfo From(ReadOnlySpan<byte> body)
    {
        if (Cache.TryGet(body, out var cached))
        {
            return cached;
        }

        var shape = new ResultShapeInfo(body.ToArray());
        Cache.Add(body, shape);
        return shape;
    }
}
