using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

internal static class MaskingTestData
{
    public static readonly MaskingProfile Pii = new()
    {
        Name = "pii",
        Detectors = [MaskingDetector.CreditCard, MaskingDetector.UsSsn, MaskingDetector.Email],
        Columns = ["ssn", "card_number"],
        Patterns = [new MaskingPattern { Name = "employee-id", Regex = @"EMP-\d{6}" }],
    };

    public static Masker Masker(params MaskingProfile[] profiles) => Appliance.Policy.Masking.Masker.Compile(profiles.Length == 0 ? [Pii] : profiles);

    /// <summary>The text after masking, or null when TryMask reported it unchanged.</summary>
    public static string? MaskText(this Masker masker, string value)
    {
        var output = new ArrayBufferWriter<byte>();
        var changed = masker.TryMask(Encoding.UTF8.GetBytes(value), output);
        Assert.Equal(changed, output.WrittenCount > 0 || value.Length == 0 && changed);
        return changed ? Encoding.UTF8.GetString(output.WrittenSpan) : null;
    }

    public static (MaskResult Result, byte[] Bytes) MaskValue(this Masker masker, byte[] value, uint typeOid, bool binary, ColumnMaskAction action = ColumnMaskAction.Detect)
    {
        var output = new ArrayBufferWriter<byte>();
        var result = masker.MaskValue(value, ColumnMask.For(action, typeOid), binary, output);
        if (result != MaskResult.Replaced)
        {
            Assert.Equal(0, output.WrittenCount);
        }

        return (result, output.WrittenSpan.ToArray());
    }

    public static byte[] Int8(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] Float8(double value) => Int8(BitConverter.DoubleToInt64Bits(value));

    /// <summary>numeric_send of a non-negative integer: base-10000 digits, most significant first.</summary>
    public static byte[] Numeric(string integer)
    {
        var padded = integer.PadLeft((integer.Length + 3) / 4 * 4, '0');
        var groups = Enumerable.Range(0, padded.Length / 4).Select(i => short.Parse(padded.AsSpan(i * 4, 4))).ToList();
        while (groups.Count > 1 && groups[^1] == 0)
        {
            groups.RemoveAt(groups.Count - 1);
        }

        var weight = (padded.Length / 4) - 1;
        var bytes = new byte[8 + (2 * groups.Count)];
        BinaryPrimitives.WriteInt16BigEndian(bytes, (short)groups.Count);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(2), (short)weight);
        for (var i = 0; i < groups.Count; i++)
        {
            BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(8 + (2 * i)), groups[i]);
        }

        return bytes;
    }

    /// <summary>A one-dimensional binary array of the given element type.</summary>
    public static byte[] Array(uint elementOid, params byte[]?[] elements)
    {
        var stream = new MemoryStream();
        void Int(int v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, v);
            stream.Write(b);
        }

        Int(1);
        Int(elements.Any(e => e is null) ? 1 : 0);
        Int((int)elementOid);
        Int(elements.Length);
        Int(1);
        foreach (var element in elements)
        {
            Int(element?.Length ?? -1);
            stream.Write(element ?? []);
        }

        return stream.ToArray();
    }

    /// <summary>range_send: flags, then each bound (null for an infinite one) length-prefixed.</summary>
    public static byte[] Range(byte[]? lower, byte[]? upper) =>
        [(byte)((lower is null ? 0x08 : 0x02) | (upper is null ? 0x10 : 0)), .. Prefixed(lower), .. Prefixed(upper)];

    /// <summary>multirange_send: a count, then length-prefixed ranges.</summary>
    public static byte[] Multirange(params byte[][] ranges) =>
        [.. BigEndian(ranges.Length), .. ranges.SelectMany(r => Prefixed(r))];

    /// <summary>record_send (also a table's row type): a field count, then each field's OID and length-prefixed value.</summary>
    public static byte[] Record(params (uint Oid, byte[]? Value)[] fields) =>
        [.. BigEndian(fields.Length), .. fields.SelectMany(f => (byte[])[.. BigEndian((int)f.Oid), .. f.Value is null ? BigEndian(-1) : Prefixed(f.Value)])];

    private static byte[] Prefixed(byte[]? value) => value is null ? [] : [.. BigEndian(value.Length), .. value];

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>A Luhn-valid number of the given length and prefix.</summary>
    public static string LuhnNumber(string prefix, int length, Random random)
    {
        var digits = new StringBuilder(prefix);
        while (digits.Length < length - 1)
        {
            digits.Append((char)('0' + random.Next(10)));
        }

        for (var check = 0; check < 10; check++)
        {
            var candidate = digits.ToString() + (char)('0' + check);
            if (IsLuhn(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    private static bool IsLuhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            sum += i % 2 == 1 ? (d * 2 > 9 ? (d * 2) - 9 : d * 2) : d;
        }

        return sum % 10 == 0;
    }
}
