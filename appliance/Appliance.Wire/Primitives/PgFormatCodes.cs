using System.Buffers.Binary;

namespace Appliance.Wire.Primitives;

/// <summary>
/// A validated array of Int16 format codes in place (Bind parameter/result formats, COPY
/// column formats). Bind's rule: no codes means all text, one code applies to every column,
/// otherwise one code per column.
/// </summary>
internal readonly ref struct PgFormatCodes
{
    private readonly ReadOnlySpan<byte> _raw;

    private PgFormatCodes(ReadOnlySpan<byte> raw) => _raw = raw;

    public int Count => _raw.Length / 2;

    public PgFormat this[int index] => (PgFormat)BinaryPrimitives.ReadInt16BigEndian(_raw.Slice(index * 2, 2));

    /// <summary>The codes exactly as on the wire, for a caller that keeps them (per-portal result formats).</summary>
    public ReadOnlySpan<byte> Raw => _raw;

    /// <summary>
    /// Only 0 and 1 exist. The server would refuse any other code at Bind, but a masking proxy
    /// must not guess what an unknown format means, so it is refused here.
    /// </summary>
    public static PgFormatCodes Read(scoped ref PgBodyReader reader, int count)
    {
        var raw = reader.ReadBytes(count * 2);
        for (var i = 0; i < raw.Length; i += 2)
        {
            var code = BinaryPrimitives.ReadInt16BigEndian(raw[i..]);
            if (code is not (0 or 1))
            {
                WireThrow.Malformed(reader.MessageName, $"unknown format code {code}");
            }
        }

        return new PgFormatCodes(raw);
    }

    /// <summary>The format of column (or parameter) <paramref name="index"/> under the 0/1/n rule.</summary>
    public PgFormat GetFormat(int index)
    {
        var count = Count;
        if (count == 0)
        {
            return PgFormat.Text;
        }

        if (count == 1)
        {
            return this[0];
        }

        if ((uint)index >= (uint)count)
        {
            WireThrow.Protocol($"There are {count} format codes but column {index} was asked for.");
        }

        return this[index];
    }
}
