using System.Buffers.Binary;

namespace Appliance.Wire.Tests.Fuzz;

/// <summary>Random and mutated inputs from a seeded <see cref="Random"/>, so every failure reproduces from its seed.</summary>
internal sealed class Mutator(int seed)
{
    private static readonly int[] Interesting = [0, 1, -1, -2, 2, 3, 4, 5, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000, int.MaxValue, int.MinValue];

    private readonly Random _random = new(seed);

    public byte[] Next(byte[] seedInput) => _random.Next(8) switch
    {
        0 => RandomBytes(),
        1 => Truncate(seedInput),
        2 => FlipBits(seedInput),
        3 => OverwriteInt32(seedInput),
        4 => OverwriteInt16(seedInput),
        5 => InsertOrDelete(seedInput),
        6 => FlipBits(OverwriteInt16(seedInput)),
        _ => RandomBytes(seedInput.Length),
    };

    public int NextInt(int max) => _random.Next(max);

    private byte[] RandomBytes(int? length = null)
    {
        var bytes = new byte[length ?? _random.Next(0, 64)];
        _random.NextBytes(bytes);

        // Plenty of NULs and small numbers: that is where the structure is.
        for (var i = 0; i < bytes.Length; i++)
        {
            if (_random.Next(3) == 0)
            {
                bytes[i] = (byte)_random.Next(0, 3);
            }
        }

        return bytes;
    }

    private byte[] Truncate(byte[] input) => input[.._random.Next(0, input.Length + 1)];

    private byte[] FlipBits(byte[] input)
    {
        var bytes = (byte[])input.Clone();
        if (bytes.Length == 0)
        {
            return bytes;
        }

        for (var i = _random.Next(1, 4); i > 0; i--)
        {
            bytes[_random.Next(bytes.Length)] ^= (byte)(1 << _random.Next(8));
        }

        return bytes;
    }

    private byte[] OverwriteInt32(byte[] input)
    {
        var bytes = (byte[])input.Clone();
        if (bytes.Length >= 4)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(_random.Next(bytes.Length - 3)), Interesting[_random.Next(Interesting.Length)]);
        }

        return bytes;
    }

    private byte[] OverwriteInt16(byte[] input)
    {
        var bytes = (byte[])input.Clone();
        if (bytes.Length >= 2)
        {
            BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(_random.Next(bytes.Length - 1)), (short)Interesting[_random.Next(Interesting.Length)]);
        }

        return bytes;
    }

    private byte[] InsertOrDelete(byte[] input)
    {
        var list = input.ToList();
        var at = _random.Next(list.Count + 1);
        if (list.Count > 0 && _random.Next(2) == 0)
        {
            list.RemoveAt(Math.Min(at, list.Count - 1));
        }
        else
        {
            list.Insert(at, (byte)_random.Next(256));
        }

        return [.. list];
    }
}
