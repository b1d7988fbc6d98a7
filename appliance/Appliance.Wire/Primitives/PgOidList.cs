using System.Buffers.Binary;

namespace Appliance.Wire.Primitives;

/// <summary>A run of UInt32 type OIDs in place (Parse parameter types, ParameterDescription).</summary>
internal readonly ref struct PgOidList
{
    private readonly ReadOnlySpan<byte> _raw;

    private PgOidList(ReadOnlySpan<byte> raw) => _raw = raw;

    public int Count => _raw.Length / 4;

    public uint this[int index] => BinaryPrimitives.ReadUInt32BigEndian(_raw.Slice(index * 4, 4));

    public ReadOnlySpan<byte> Raw => _raw;

    public static PgOidList Read(scoped ref PgBodyReader reader, int count) => new(reader.ReadBytes(count * 4));
}
