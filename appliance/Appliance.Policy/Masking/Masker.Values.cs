using System.Buffers;
using System.Buffers.Binary;
using Appliance.Policy.Buffers;

namespace Appliance.Policy.Masking;

internal sealed partial class Masker
{
    private static readonly byte[] JsonStars = "\"****\""u8.ToArray();
    private static readonly byte[] JsonbStars = "\u0001\"****\""u8.ToArray();
    private static readonly byte[] JsonbVersion = [1];
    private static readonly byte[] HexPrefix = "\\x"u8.ToArray();

    /// <summary>
    /// Masks one DataRow (or COPY) value of a column planned by <see cref="GetPlan(ref ResultShape, IColumnNameLookup?)"/>.
    /// <paramref name="binary"/> is the column's result format (from Bind, or the RowDescription of a
    /// portal). On <see cref="MaskResult.Replaced"/> the new value was written to <paramref name="output"/>;
    /// on <see cref="MaskResult.Null"/> the gateway sends NULL (length -1) instead.
    /// </summary>
    public MaskResult MaskValue(ReadOnlySpan<byte> value, ColumnMask column, bool binary, IBufferWriter<byte> output)
    {
        switch (column.Action)
        {
            case ColumnMaskAction.Pass:
                return MaskResult.Unchanged;
            case ColumnMaskAction.MaskWhole:
                return WriteWhole(column.ValueClass, binary, output);
        }

        return column.ValueClass switch
        {
            PgValueClass.Fixed when IsGeometry(column.TypeOid) => binary ? DetectBinaryGeometry(value, column.TypeOid) : DetectFloatText(value),
            PgValueClass.Fixed => MaskResult.Unchanged,
            PgValueClass.Text => MaskTextOrEncoded(value, ScanMode.Text, output, default, column.ValueClass, binary),
            PgValueClass.Json => MaskTextOrEncoded(value, ScanMode.Json, output, default, column.ValueClass, binary),
            PgValueClass.Jsonb when !binary => MaskTextOrEncoded(value, ScanMode.Json, output, default, column.ValueClass, binary),
            PgValueClass.Jsonb when value.Length > 0 && value[0] == 1 => MaskTextOrEncoded(value[1..], ScanMode.Json, output, JsonbVersion, column.ValueClass, binary),
            PgValueClass.Bytea when binary => MaskText(value, ScanMode.Text, output, default, bytes: true),
            PgValueClass.Bytea => MaskByteaText(value, output),
            PgValueClass.Int8 or PgValueClass.Numeric or PgValueClass.Float8 when binary => DetectBinaryNumber(value, column.ValueClass),
            PgValueClass.Money when binary => DetectBinaryMoney(value),
            PgValueClass.Money => DetectMoneyText(value),
            PgValueClass.NumberArray when column.TypeOid is PgTypes.MoneyArray && !binary => DetectMoneyText(value),
            PgValueClass.Float8 or PgValueClass.NumberArray when !binary => DetectFloatText(value),
            PgValueClass.Snapshot when binary => DetectBinarySnapshot(value),
            PgValueClass.TextContainer or PgValueClass.NumberArray when binary => DetectBinaryContainer(value, column.TypeOid is PgTypes.Record, 0),
            PgValueClass.Range when binary => DetectBinaryRange(value, column.TypeOid),
            PgValueClass.Opaque when binary => DetectBinaryOpaque(value, 0),
            PgValueClass.TextContainer when column.TypeOid is PgTypes.ByteaArray && DetectByteaArrayText(value) is { } bytea => bytea,
            // A mask is no JSON: a json[] or jsonb[] element rewritten would not parse (probe KB4), so the array is NULL.
            PgValueClass.TextContainer when IsJsonArray(column.TypeOid) => MaskText(value, ScanMode.DetectOnly, null, default),
            // What no detector reads as it stands inside an array, a composite or a range: a bytea's
            // hex or escapes, a float8's exponent (probes KB3, LA2, LA3).
            PgValueClass.TextContainer or PgValueClass.Opaque or PgValueClass.Range when EncodedHoldsSecret(value) => MaskResult.Null,
            // JSON in a record's field: a mask written into it is no JSON (probes LA6, MA6), so a record holding a card there is NULL.
            PgValueClass.TextContainer or PgValueClass.Opaque when HoldsJson(value) => MaskText(value, ScanMode.DetectOnly, null, default),
            PgValueClass.TextContainer or PgValueClass.Opaque or PgValueClass.Range or PgValueClass.Snapshot => MaskText(value, ScanMode.Text, output, default),
            _ => MaskText(value, ScanMode.DetectOnly, null, default),
        };
    }

    /// <summary>A masked column's value: <c>****</c> for text-like types, <c>"****"</c> for JSON, null (send NULL) for anything else.</summary>
    private static byte[]? WholeReplacement(PgValueClass valueClass, bool binary) => valueClass switch
    {
        PgValueClass.Text or PgValueClass.Bytea => Stars,
        PgValueClass.Json => JsonStars,
        PgValueClass.Jsonb => binary ? JsonbStars : JsonStars,
        _ => null,
    };

    private static MaskResult WriteWhole(PgValueClass valueClass, bool binary, IBufferWriter<byte> output)
    {
        var replacement = WholeReplacement(valueClass, binary);
        if (replacement is null)
        {
            return MaskResult.Null;
        }

        Write(output, replacement);
        return MaskResult.Replaced;
    }

    /// <summary>
    /// Whether a run of hex after <c>\x</c> (bytea's text form, also inside an array's or a
    /// record's quotes, its backslash doubled) decodes to something the detectors find.
    /// </summary>
    private bool HexHoldsSecret(ReadOnlySpan<byte> text)
    {
        // \X too: PostgreSQL refuses it, but a parameter or literal sent so is recorded (probe LA5).
        for (var at = HexMark(text); at >= 0; at = HexMark(text))
        {
            text = text[(at + 2)..];
            if (HexDigitsHoldSecret(text))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The hex digits <paramref name="text"/> starts with, whitespace between pairs allowed as
    /// bytea's input allows it (probe MA5), decode to something the detectors find.
    /// </summary>
    private bool HexDigitsHoldSecret(ReadOnlySpan<byte> text)
    {
        var rented = Pool<byte>.Rent(Math.Max(text.Length / 2, 1));
        try
        {
            var length = 0;
            var high = -1;
            foreach (var c in text)
            {
                var nibble = HexValue(c);
                if (nibble < 0)
                {
                    if (c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' && high < 0)
                    {
                        continue;
                    }

                    break;
                }

                if (high < 0)
                {
                    high = nibble;
                }
                else
                {
                    rented[length++] = (byte)((high << 4) | nibble);
                    high = -1;
                }
            }

            // Fewer than five bytes hold no email, SSN or card.
            // A bytea's bytes (probe QB3: an '@' among random ones read as an address inside records).
            return length >= 5 && MaskText(rented.AsSpan(0, length), ScanMode.DetectOnly, null, default, bytes: true) == MaskResult.Null;
        }
        finally
        {
            Pool<byte>.Return(rented);
        }
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// A parameter's text that holds a card, SSN or email only once decoded: bytea's hex (spaces
    /// between pairs allowed), its octal escapes, or hex digits alone, as <c>decode($1, 'hex')</c>
    /// takes them (probes HA9, NA4).
    /// </summary>
    public bool DetectsEncoded(ReadOnlySpan<byte> text) =>
        HasValueDetection
        && (HexHoldsSecret(text) || EscapesHoldSecret(text)
            || (text.Length >= 10 && !text.ContainsAnyExcept(HexDigitsOrSpace) && HexDigitsHoldSecret(text)));

    private static readonly System.Buffers.SearchValues<byte> HexDigitsOrSpace = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF \t\r\n"u8);

    /// <summary>
    /// A bytea[] in text: each element is a bytea's hex in quotes, its backslash doubled
    /// (<c>{"\x0102",NULL}</c>). Read decoded, by the bytes' rules, not as the hex digits' text,
    /// whose digit runs read as cards in one random 4 KiB value in three (probe PB2). Null (read it
    /// as before) when an element is in another form (<c>bytea_output = escape</c>).
    /// </summary>
    private MaskResult? DetectByteaArrayText(ReadOnlySpan<byte> value)
    {
        var found = MaskResult.Unchanged;
        var i = 0;
        while (i < value.Length)
        {
            if (value[i] is (byte)'{' or (byte)'}' or (byte)',')
            {
                i++;
                continue;
            }

            if (value[i..].StartsWith("NULL"u8))
            {
                i += 4;
                continue;
            }

            var length = value[i..].StartsWith("\"\\\\x"u8) ? value[(i + 4)..].IndexOf((byte)'"') : -1;
            if (length < 0 || length % 2 != 0)
            {
                return null;
            }

            var rented = Pool<byte>.Rent(Math.Max(length / 2, 1));
            try
            {
                var raw = rented.AsSpan(0, length / 2);
                if (Convert.FromHexString(value.Slice(i + 4, length), raw, out _, out var written) != System.Buffers.OperationStatus.Done || written != raw.Length)
                {
                    return null;
                }

                if (MaskText(raw, ScanMode.DetectOnly, null, default, bytes: true) == MaskResult.Null)
                {
                    found = MaskResult.Null;
                }
            }
            finally
            {
                Pool<byte>.Return(rented);
            }

            i += 4 + length + 1;
        }

        return found;
    }

    /// <summary>
    /// Text or JSON, masked where the detectors find something as it stands; else masked whole when
    /// it holds one only decoded: a bytea's hex (to_json(bytea) writes it, probe QB1), a card in a
    /// number's exponent form (point(…)::text, to_json(cube), QB5).
    /// </summary>
    private MaskResult MaskTextOrEncoded(
        ReadOnlySpan<byte> value, ScanMode mode, IBufferWriter<byte> output, ReadOnlySpan<byte> prefix, PgValueClass valueClass, bool binary)
    {
        // First: the detectors' masks of an address beside it left a card in exponent form whole (probe SA1).
        if (ExponentHoldsCard(value))
        {
            return WriteWhole(valueClass, binary, output);
        }

        if (value.IndexOf("\\x"u8) < 0)
        {
            return MaskText(value, mode, output, prefix);
        }

        // A bytea's hex in it: a mask written into the hex (its digit runs read as a card now and then)
        // would alter it silently and leave no valid hex (probe RA5), so any mask makes it whole.
        var masked = MaskText(value, mode, PooledBufferWriter.Scratch(5), prefix);
        return masked == MaskResult.Replaced || HexHoldsSecret(value) ? WriteWhole(valueClass, binary, output) : masked;
    }

    /// <summary>Text or JSON holding a card, SSN or email in a bytea's hex or a card in a number's exponent form.</summary>
    private bool HexOrExponentHoldsSecret(ReadOnlySpan<byte> text) =>
        (text.IndexOf("\\x"u8) >= 0 && HexHoldsSecret(text)) || ExponentHoldsCard(text);

    /// <summary>
    /// A number in exponent form in text whose value is a card: <c>4.111111111111111e+15</c> as
    /// PostgreSQL writes a float8, <c>4.111111111111111E15</c> as Java does (probe RA2), also
    /// scaled (<c>0.41…e16</c>). One someone wrote (at most 12 significant digits: <c>3.174e+14</c>)
    /// is no card, as in binary (probe RA4: one scientific JSON document in 40 was masked).
    /// </summary>
    private bool ExponentHoldsCard(ReadOnlySpan<byte> text)
    {
        Span<byte> bits = stackalloc byte[8];
        var whole = text;
        var offset = 0;
        for (var at = text.IndexOfAny((byte)'e', (byte)'E'); at >= 0; at = text.IndexOfAny((byte)'e', (byte)'E'))
        {
            if (at > 0 && at + 1 < text.Length && (char.IsAsciiDigit((char)text[at - 1]) || text[at - 1] == '.')
                && (char.IsAsciiDigit((char)text[at + 1]) || text[at + 1] is (byte)'+' or (byte)'-')
                && !InHexWord(whole, offset + at))
            {
                // The mantissa: digits and one point before the 'e' (a sign, a '-' or '.' before or after
                // it, a second 'e', are no part of it: probe SA2); negative exponents too (SA4).
                var start = at;
                var points = 0;
                while (start > 0 && (char.IsAsciiDigit((char)text[start - 1]) || (text[start - 1] == '.' && points++ == 0)))
                {
                    start--;
                }

                if (System.Buffers.Text.Utf8Parser.TryParse(text[start..], out double value, out var consumed) && consumed > at - start + 1 && !IsWrittenFloat(value))
                {
                    BinaryPrimitives.WriteInt64BigEndian(bits, BitConverter.DoubleToInt64Bits(value));
                    if (DetectBinaryNumber(bits, PgValueClass.Float8) == MaskResult.Null)
                    {
                        return true;
                    }
                }
            }

            text = text[(at + 1)..];
            offset += at + 1;
        }

        return false;
    }

    /// <summary>
    /// Whether the 'e' at <paramref name="at"/> stands in a hex word: a digest's length (32 to 128
    /// hex digits) or a bytea's hex after <c>\x</c>, whose 'e' is a digit (probe SA5: a digest
    /// read as 12345678901234e5 was masked whole). Not one with a point or sign in it.
    /// </summary>
    private static bool InHexWord(ReadOnlySpan<byte> text, int at)
    {
        var start = at;
        while (start > 0 && char.IsAsciiHexDigit((char)text[start - 1]))
        {
            start--;
        }

        var end = at;
        while (end < text.Length && char.IsAsciiHexDigit((char)text[end]))
        {
            end++;
        }

        var afterBytesMark = start >= 2 && (text[start - 1] | 0x20) == 'x' && text[start - 2] == '\\';
        var bounded = (start == 0 || !char.IsAsciiLetterOrDigit((char)text[start - 1]) || afterBytesMark)
            && (end == text.Length || !char.IsAsciiLetterOrDigit((char)text[end]));
        return bounded && (afterBytesMark || ValueScanner.IsDigestLength(end - start));
    }

    /// <summary>Text holding a card, SSN or email only once decoded: bytea's hex or octal escapes, a number in exponent form.</summary>
    private bool EncodedHoldsSecret(ReadOnlySpan<byte> text) =>
        HexHoldsSecret(text) || EscapesHoldSecret(text)
        || ((text.IndexOf("e+"u8) >= 0 || text.IndexOf("E+"u8) >= 0) && DetectFloatText(text) == MaskResult.Null)
        // Any spelling of an exponent inside arrays and records too (probe SA3).
        || ExponentHoldsCard(text)
        // money's text, the card in its thousands separators or its cents, inside a record or an array of a domain (probe MA3).
        || (text.IndexOf((byte)'$') >= 0 && DetectMoneyText(text) == MaskResult.Null);

    /// <summary>
    /// bytea's escape form (<c>bytea_output = 'escape'</c>): an octal escape's digits run into the
    /// digits after it (<c>\0004111111111111111</c>), so each escape is read as a separator (probe LA3).
    /// </summary>
    private bool EscapesHoldSecret(ReadOnlySpan<byte> text)
    {
        var first = text.IndexOf((byte)'\\');
        if (first < 0)
        {
            return false;
        }

        var rented = Pool<byte>.Rent(text.Length);
        try
        {
            var length = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] != '\\')
                {
                    rented[length++] = text[i];
                    continue;
                }

                var j = i;
                while (j < text.Length && text[j] == '\\')
                {
                    j++;
                }

                if (text.Length - j >= 3 && IsOctal(text[j]) && IsOctal(text[j + 1]) && IsOctal(text[j + 2]))
                {
                    // The byte it stands for: a NUL before a card's digits still ends the run
                    // before them, and \064\061… spells the digits themselves (probe MA5).
                    rented[length++] = (byte)(((text[j] - '0') << 6) | ((text[j + 1] - '0') << 3) | (text[j + 2] - '0'));
                    j += 3;
                }
                else
                {
                    rented[length++] = (byte)' ';
                }

                i = j - 1;
            }

            return MaskText(rented.AsSpan(0, length), ScanMode.DetectOnly, null, default) == MaskResult.Null;
        }
        finally
        {
            Pool<byte>.Return(rented);
        }
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';

    /// <summary>A record's or an array's text with a JSON object in it: a key and its colon, as a field quotes it (<c>""n"":</c>, <c>\"n\":</c>).</summary>
    private static bool HoldsJson(ReadOnlySpan<byte> text) =>
        text.IndexOf("\"\":"u8) >= 0 || text.IndexOf("\\\":"u8) >= 0;

    private static bool IsJsonArray(uint typeOid) => typeOid is PgTypes.JsonArray or PgTypes.JsonbArray;

    /// <summary>Where the next <c>\x</c> or <c>\X</c> starts; -1 when none does.</summary>
    private static int HexMark(ReadOnlySpan<byte> text)
    {
        var offset = 0;
        for (var at = text.IndexOf((byte)'\\'); at >= 0; at = text[offset..].IndexOf((byte)'\\'))
        {
            at += offset;
            if (at + 1 < text.Length && text[at + 1] is (byte)'x' or (byte)'X')
            {
                return at;
            }

            offset = at + 1;
        }

        return -1;
    }


    /// <summary>bytea in text: <c>\x</c> hex is decoded, masked as bytes and encoded again; the escape format is masked as it stands.</summary>
    private MaskResult MaskByteaText(ReadOnlySpan<byte> value, IBufferWriter<byte> output)
    {
        if (!value.StartsWith(HexPrefix) || (value.Length & 1) != 0)
        {
            // The escape form: masked whole when its escapes hide what it holds (probe LA3).
            return EscapesHoldSecret(value) ? WriteWhole(PgValueClass.Bytea, binary: false, output) : MaskText(value, ScanMode.Text, output, default);
        }

        var hex = value[2..];
        var rented = Pool<byte>.Rent(Math.Max(hex.Length / 2, 1));
        try
        {
            var raw = rented.AsSpan(0, hex.Length / 2);
            if (Convert.FromHexString(hex, raw, out _, out var written) != System.Buffers.OperationStatus.Done || written != raw.Length)
            {
                return MaskText(value, ScanMode.DetectOnly, null, default);
            }

            var masked = PooledBufferWriter.Scratch(5);
            if (MaskText(raw, ScanMode.Text, masked, default, bytes: true) != MaskResult.Replaced)
            {
                return MaskResult.Unchanged;
            }

            var bytes = masked.WrittenSpan;
            var span = output.GetSpan(2 + (bytes.Length * 2));
            HexPrefix.CopyTo(span);
            Convert.TryToHexStringLower(bytes, span[2..], out var hexLength);
            output.Advance(2 + hexLength);
            return MaskResult.Replaced;
        }
        finally
        {
            Pool<byte>.Return(rented);
        }
    }

    /// <summary>int8 (or xid8), numeric or float8 in binary: the integer part's digits are tested like text; a match means NULL.</summary>
    private MaskResult DetectBinaryNumber(ReadOnlySpan<byte> value, PgValueClass valueClass)
    {
        Span<byte> digits = stackalloc byte[32];
        var length = valueClass switch
        {
            PgValueClass.Int8 => BinaryNumbers.Int8Digits(value, digits),
            PgValueClass.Float8 => BinaryNumbers.Float8Digits(value, digits),
            _ => BinaryNumbers.NumericDigits(value, digits),
        };
        return DetectDigits(digits[..Math.Max(length, 0)]);
    }

    private MaskResult DetectDigits(ReadOnlySpan<byte> digits) =>
        digits.Length < ValueScanner.MinCardDigits && _patterns.Length == 0
            ? MaskResult.Unchanged
            : MaskText(digits, ScanMode.DetectOnly, null, default);

    /// <summary>
    /// money in binary: int8 in the currency's smallest unit. The locale decides how many of its
    /// digits are decimals (two for dollars, none for yen, three for dinars), so the whole units
    /// are tested for each.
    /// </summary>
    private MaskResult DetectBinaryMoney(ReadOnlySpan<byte> value)
    {
        if (value.Length != 8)
        {
            return MaskText(value, ScanMode.DetectOnly, null, default);
        }

        Span<byte> digits = stackalloc byte[32];
        var length = BinaryNumbers.Int8Digits(value, digits);
        return length > 0 ? DetectUnits(digits[..length]) : MaskResult.Unchanged;
    }

    /// <summary>An amount in smallest units: tested whole, and as whole units with one to three decimals.</summary>
    private MaskResult DetectUnits(ReadOnlySpan<byte> digits)
    {
        for (var decimals = 0; decimals <= 3 && digits.Length - decimals > 0; decimals++)
        {
            if (DetectDigits(digits[..(digits.Length - decimals)]) == MaskResult.Null)
            {
                return MaskResult.Null;
            }
        }

        return MaskResult.Unchanged;
    }

    /// <summary>
    /// money as text: every digit of a number, its decimals too, is the int8 of smallest units
    /// that binary carries, so each number is tested as binary's is (probe EC2: a card / 100 read
    /// <c>$60,113,731,272,213.28</c> in text and was NULL in binary). In an array, each element.
    /// </summary>
    private MaskResult DetectMoneyText(ReadOnlySpan<byte> value)
    {
        if (MaskText(value, ScanMode.DetectOnly, null, default) == MaskResult.Null)
        {
            return MaskResult.Null;
        }

        Span<byte> digits = stackalloc byte[32];
        var length = 0;
        for (var i = 0; i <= value.Length; i++)
        {
            var c = i < value.Length ? value[i] : (byte)'"';
            if (char.IsAsciiDigit((char)c))
            {
                if (length < digits.Length)
                {
                    digits[length] = c;
                }

                length++;
            }
            else if (c is not ((byte)',' or (byte)'.' or (byte)'\'' or (byte)' ') && length > 0)
            {
                // The end of a number: a currency sign, a quote, a brace or the end of the value.
                if (length <= digits.Length && DetectUnits(digits[..length]) == MaskResult.Null)
                {
                    return MaskResult.Null;
                }

                length = 0;
            }
        }

        return MaskResult.Unchanged;
    }

    /// <summary>
    /// float8 as text: PostgreSQL writes a 16-digit card as <c>4.111111111111111e+15</c>, every
    /// digit there but split by the point and the exponent; binary's float8 was read as a number
    /// already (probe EJ4). Each number of the text (an array's elements too) is read back as a
    /// double, and an integral one of 12 to 19 digits is tested as its digits.
    /// </summary>
    private MaskResult DetectFloatText(ReadOnlySpan<byte> value)
    {
        if (MaskText(value, ScanMode.DetectOnly, null, default) == MaskResult.Null)
        {
            return MaskResult.Null;
        }

        Span<byte> bits = stackalloc byte[8];
        for (var start = 0; start < value.Length;)
        {
            var length = value[start..].IndexOfAnyExcept(FloatChars);
            length = length < 0 ? value.Length - start : length;
            if (length > 0 && System.Buffers.Text.Utf8Parser.TryParse(value.Slice(start, length), out double number, out var consumed) && consumed == length
                && !(value.Slice(start, length).IndexOfAny((byte)'e', (byte)'E') >= 0 && IsWrittenFloat(number)))
            {
                // (An exponent form someone wrote, 3.174e+14, is no card: probe RA4.)
                BinaryPrimitives.WriteInt64BigEndian(bits, BitConverter.DoubleToInt64Bits(number));
                if (DetectBinaryNumber(bits, PgValueClass.Float8) == MaskResult.Null)
                {
                    return MaskResult.Null;
                }
            }

            start += Math.Max(length, 1);
        }

        return MaskResult.Unchanged;
    }

    private static readonly SearchValues<byte> FloatChars = SearchValues.Create("0123456789.eE+-"u8);

    /// <summary>pg_snapshot_send: int4 count of in-progress ids, int8 xmin, int8 xmax, then the ids.</summary>
    private MaskResult DetectBinarySnapshot(ReadOnlySpan<byte> value)
    {
        if (value.Length < 20 || (value.Length - 4) % 8 != 0)
        {
            return MaskText(value, ScanMode.DetectOnly, null, default);
        }

        for (var position = 4; position < value.Length; position += 8)
        {
            if (DetectBinaryNumber(value.Slice(position, 8), PgValueClass.Int8) == MaskResult.Null)
            {
                return MaskResult.Null;
            }
        }

        return MaskResult.Unchanged;
    }

    /// <summary>
    /// A binary array (ndim, flags, element OID, dimensions, then length-prefixed elements) or
    /// record (field count, then OID and length-prefixed value per field): any element that
    /// holds something to mask makes the whole value NULL. A malformed value is scanned raw.
    /// </summary>
    private MaskResult DetectBinaryContainer(ReadOnlySpan<byte> value, bool isRecord, int depth)
    {
        var position = isRecord ? 4 : 12;
        if (depth > MaxDepth)
        {
            // Deeper than the masker reads: withheld, for a number there is bytes no scan sees (probe LA1).
            return MaskResult.Null;
        }

        if (value.Length < position)
        {
            return MaskText(value, ScanMode.DetectOnly, null, default);
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(value);
        var elementOid = isRecord ? 0u : BinaryPrimitives.ReadUInt32BigEndian(value[8..]);
        if (!isRecord)
        {
            var dimensions = count;
            count = dimensions == 0 ? 0 : 1;
            for (var d = 0; d < dimensions && value.Length >= position + 8; d++, position += 8)
            {
                count *= BinaryPrimitives.ReadInt32BigEndian(value[position..]);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (isRecord)
            {
                if (value.Length < position + 4)
                {
                    return MaskText(value, ScanMode.DetectOnly, null, default);
                }

                elementOid = BinaryPrimitives.ReadUInt32BigEndian(value[position..]);
                position += 4;
            }

            if (value.Length < position + 4)
            {
                return MaskText(value, ScanMode.DetectOnly, null, default);
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(value[position..]);
            position += 4;
            if (length < 0)
            {
                continue;
            }

            if (value.Length - position < length)
            {
                return MaskText(value, ScanMode.DetectOnly, null, default);
            }

            if (DetectBinaryElement(value.Slice(position, length), elementOid, depth) == MaskResult.Null)
            {
                return MaskResult.Null;
            }

            position += length;
        }

        return MaskResult.Unchanged;
    }

    private MaskResult DetectBinaryElement(ReadOnlySpan<byte> element, uint elementOid, int depth) => PgTypes.Classify(elementOid) switch
    {
        PgValueClass.Fixed when IsGeometry(elementOid) => DetectBinaryGeometry(element, elementOid),
        PgValueClass.Fixed => MaskResult.Unchanged,
        var c when c is PgValueClass.Int8 or PgValueClass.Numeric or PgValueClass.Float8 => DetectBinaryNumber(element, c),
        PgValueClass.Money => DetectBinaryMoney(element),
        PgValueClass.Snapshot => DetectBinarySnapshot(element),
        PgValueClass.TextContainer or PgValueClass.NumberArray => DetectBinaryContainer(element, elementOid is PgTypes.Record, depth + 1),
        PgValueClass.Range => DetectBinaryRange(element, elementOid),
        PgValueClass.Opaque => DetectBinaryOpaque(element, depth + 1),
        PgValueClass.Jsonb when element.Length > 0 => MaskText(element[1..], ScanMode.DetectOnly, null, default),
        PgValueClass.Bytea => MaskText(element, ScanMode.DetectOnly, null, default, bytes: true),
        _ => MaskText(element, ScanMode.DetectOnly, null, default),
    };
}
