using System.Buffers;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>What became of one COPY row.</summary>
internal enum CopyRowResult : byte
{
    /// <summary>Relay the row as it is; nothing was written.</summary>
    Unchanged,
    /// <summary>The masked row was written to the output.</summary>
    Replaced,
    /// <summary>The row does not split into the plan's columns: it cannot be masked and must not be relayed.</summary>
    Malformed,
}

internal sealed partial class Masker
{
    private const int StackFields = 64;

    /// <summary>
    /// One row of a text or CSV <c>COPY … TO</c> whose result columns were planned like a SELECT's
    /// (<see cref="GetPlan(ref ResultShape, IColumnNameLookup?)"/>): each value of a column masked
    /// whole becomes what a SELECT sends for it in text (<c>****</c>, <c>"****"</c>, or NULL as the
    /// COPY writes NULL); each value of a scanned column is read as the client will read it
    /// (escapes resolved, unquoted), scanned by the detectors, and written back as the COPY writes
    /// values when they changed it. Value by value, as for a SELECT: a delimiter, quote or escape
    /// the client chose cannot split a card number past the detectors, and a mask cannot run into
    /// the next column. Nor can it join values into one: a row whose line, as the client receives
    /// it, still holds what the detectors find (<c>DELIMITER '@'</c> between a local part and a
    /// domain, <c>' '</c> between four groups of a card) has its values masked whole from the first
    /// on until it no longer does (probe AB1: the line, on disk and in the audit record, held the
    /// email and the card in clear). A <paramref name="header"/> row (column names) is only scanned.
    /// </summary>
    public CopyRowResult MaskCopyRow(ReadOnlySpan<byte> row, CopyToStdout format, ResultMaskPlan plan, bool header, IBufferWriter<byte> output)
    {
        var count = plan.Count;
        var rented = count > StackFields ? ArrayPool<CopyField>.Shared.Rent(count) : null;
        try
        {
            var fields = rented is null ? stackalloc CopyField[StackFields] : rented.AsSpan();
            if (CopyRow.Split(row, format, fields[..count]) != count)
            {
                return CopyRowResult.Malformed;
            }

            // A row wider than the stack's share is rare: its two arrays come from the heap.
            var forced = count <= StackFields ? stackalloc bool[StackFields] : new bool[count];
            var ends = count <= StackFields ? stackalloc int[StackFields] : new int[count];
            forced.Clear();

            // Rebuild writes the row into this thread's scratch buffer 1, which this is.
            var rebuilt = PooledBufferWriter.Scratch(1);
            var changed = Rebuild(row, fields[..count], forced, ends, format, plan, header);
            if (!header && HasValueDetection && MayJoinValues(format))
            {
                changed |= UnjoinSecrets(row, fields[..count], forced[..count], ends[..count], format, plan, rebuilt);
            }

            if (!changed)
            {
                return CopyRowResult.Unchanged;
            }

            Write(rebuilt, "\n"u8);
            Write(output, rebuilt.WrittenSpan);
            return CopyRowResult.Replaced;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<CopyField>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Values joined by the delimiter into what the detectors find (probes AB1, AE1): the values a
    /// match spans are masked whole, in one more pass; if the line still holds something (a
    /// lookalike or a custom pattern, whose places are not told), every value is. A few passes over
    /// the row whatever its width (probe AE2: masking one value at a time was quadratic in them).
    /// </summary>
    private bool UnjoinSecrets(
        ReadOnlySpan<byte> row, ReadOnlySpan<CopyField> fields, Span<bool> forced, Span<int> ends, CopyToStdout format, ResultMaskPlan plan,
        PooledBufferWriter rebuilt)
    {
        var viewEnds = fields.Length <= StackFields ? stackalloc int[StackFields] : new int[fields.Length];
        var view = JoinedView(rebuilt.WrittenSpan, ends, viewEnds[..fields.Length], format, plan);
        if (!Detects(view))
        {
            return false;
        }

        var spans = new List<(int Start, int End)>();
        ValueScanner.Scan(view, _detectors, ScanMode.Text, PooledBufferWriter.Scratch(3), spans: spans);
        foreach (var (start, end) in spans)
        {
            for (var i = 0; i < fields.Length; i++)
            {
                var fieldStart = i == 0 ? 0 : viewEnds[i - 1] + 1;
                forced[i] |= !fields[i].IsNull && fieldStart < end && viewEnds[i] > start;
            }
        }

        Rebuild(row, fields, forced, ends, format, plan, header: false);
        if (Detects(JoinedView(rebuilt.WrittenSpan, ends, viewEnds[..fields.Length], format, plan)))
        {
            forced.Fill(true);
            Rebuild(row, fields, forced, ends, format, plan, header: false);
        }

        return true;
    }

    /// <summary>
    /// The rebuilt line as the detectors read it for values joined across fields, in scratch
    /// buffer 2, with where each value ends in it: a bytea's hex is written as a tab, as its
    /// digits are no text the client reads (per value they are read decoded: probe PB2).
    /// </summary>
    private static ReadOnlySpan<byte> JoinedView(ReadOnlySpan<byte> line, ReadOnlySpan<int> ends, Span<int> viewEnds, CopyToStdout format, ResultMaskPlan plan)
    {
        var view = PooledBufferWriter.Scratch(2);
        for (var i = 0; i < ends.Length; i++)
        {
            var start = i == 0 ? 0 : ends[i - 1] + 1;
            if (i > 0)
            {
                Write(view, [format.Delimiter]);
            }

            Write(view, IsNeutralInJoin(plan[i], format) ? "\t"u8 : line[start..ends[i]]);
            viewEnds[i] = view.WrittenSpan.Length;
        }

        return view.WrittenSpan;
    }

    /// <summary>
    /// A value no join is read through: a bytea's hex, and where the delimiter is a comma or a
    /// quote (a card only as thousands, <c>6,011,373,…</c>) a value that is not text. A CSV of
    /// small numbers reads so one row in 40 (probe AH2: every value of such a row went out NULL),
    /// and its reader splits it at the commas anyway.
    /// </summary>
    private static bool IsNeutralInJoin(ColumnMask mask, CopyToStdout format) =>
        // By the column's type: a plan's class is set only for the columns it scans.
        PgTypes.Classify(mask.TypeOid) is var valueClass && (valueClass is PgValueClass.Bytea || mask.TypeOid is PgTypes.ByteaArray
            || (format.Delimiter is (byte)',' or (byte)'\'' && valueClass is not (PgValueClass.Text or PgValueClass.Json or PgValueClass.Jsonb)));

    /// <summary>
    /// Whether the COPY's own bytes between and around values (its delimiter, and in CSV its quote
    /// and escape) can sit inside what the detectors find: letters, digits, a space, <c>-</c>,
    /// <c>.</c>, <c>_</c>, <c>%</c>, <c>+</c> or <c>@</c> (a card's separators, an email's
    /// characters), or anything a custom pattern might match.
    /// </summary>
    private bool MayJoinValues(CopyToStdout format) =>
        _patterns.Length > 0 || MayJoin(format.Delimiter) || (format.IsCsv && (MayJoin(format.Quote) || MayJoin(format.Escape)));

    private static bool MayJoin(byte c) =>
        char.IsAsciiLetterOrDigit((char)c) || c is (byte)' ' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'%' or (byte)'+' or (byte)'@' or (byte)',' or (byte)'\'' || c >= 0x80;

    /// <summary>
    /// The row without its newline, each value masked as its column's plan says (or whole where
    /// <paramref name="forced"/>), into scratch buffer 1, with where each value ends in it; false
    /// when nothing changed.
    /// </summary>
    private bool Rebuild(
        ReadOnlySpan<byte> row, ReadOnlySpan<CopyField> fields, ReadOnlySpan<bool> forced, Span<int> ends, CopyToStdout format, ResultMaskPlan plan, bool header)
    {
        // Scratch 0 is TryMask's own; 1 holds the row, 2 a value read, 3 its masked form.
        var rebuilt = PooledBufferWriter.Scratch(1);
        var changed = false;
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                Write(rebuilt, [format.Delimiter]);
            }

            var field = fields[i];
            var raw = row[field.Start..field.End];
            var quoted = format.IsCsv && !raw.IsEmpty && raw[0] == format.Quote;
            var action = header ? ColumnMaskAction.Detect : plan[i].Action;
            if (field.IsNull || (action == ColumnMaskAction.Pass && !forced[i]))
            {
                Write(rebuilt, raw);
            }
            else if (action == ColumnMaskAction.MaskWhole || forced[i])
            {
                WriteWhole(plan[i], format, rebuilt, quoted);
                changed = true;
            }
            else if (!header && (IsReadAsNumber(plan[i].ValueClass) || IsJsonArray(plan[i].TypeOid) || IsGeometry(plan[i].TypeOid)))
            {
                // A number holding a card is NULL, as a SELECT returns it: a mask is no number
                // COPY FROM could load back, and the whole export failed (probe EH1). Nor is it
                // JSON in a json[] element (probe KB4).
                var value = PooledBufferWriter.Scratch(2);
                CopyRow.Unescape(raw, format, value);
                var numberNull = MaskValue(value.WrittenSpan, plan[i], binary: false, PooledBufferWriter.Scratch(3)) == MaskResult.Null;
                Write(rebuilt, numberNull ? format.Null : raw);
                changed |= numberNull;
            }
            else if (!header && plan[i].ValueClass is PgValueClass.Text or PgValueClass.Json or PgValueClass.Jsonb
                && HexOrExponentHoldsSecret(CopyRow.Unescaped(raw, format, PooledBufferWriter.Scratch(2))))
            {
                // As a SELECT masks it (probe RA1: COPY let out the exponent forms and bytea hex SELECT masked).
                WriteWhole(plan[i], format, rebuilt, quoted);
                changed = true;
            }
            else if (!header && (plan[i].ValueClass is PgValueClass.Bytea || plan[i].TypeOid is PgTypes.ByteaArray))
            {
                // A bytea (or bytea[]) column: its hex read decoded, as a SELECT reads it, not its
                // hex digits as text, whose runs read as cards in one random 4 KiB value in three (probe PB2).
                var value = PooledBufferWriter.Scratch(2);
                CopyRow.Unescape(raw, format, value);
                var masked = PooledBufferWriter.Scratch(3);
                switch (MaskValue(value.WrittenSpan, plan[i], binary: false, masked))
                {
                    case MaskResult.Null:
                        Write(rebuilt, format.Null);
                        changed = true;
                        break;
                    case MaskResult.Replaced:
                        CopyRow.WriteValue(masked.WrittenSpan, format, rebuilt, quoted);
                        changed = true;
                        break;
                    default:
                        Write(rebuilt, raw);
                        break;
                }
            }
            else if (!header && plan[i].ValueClass is PgValueClass.TextContainer or PgValueClass.Opaque or PgValueClass.Range
                && EncodedOrJsonHoldsSecret(CopyRow.Unescaped(raw, format, PooledBufferWriter.Scratch(2)), plan[i].ValueClass))
            {
                // bytea's hex or escapes, a float8's exponent (alone, or in an array or a record),
                // JSON in a record holding a card: NULL, as a number holding one is (probes KB3, LA2, LA3, MA6).
                Write(rebuilt, format.Null);
                changed = true;
            }
            else if (TryMaskCopyValue(raw, format, out var masked))
            {
                CopyRow.WriteValue(masked, format, rebuilt, quoted);
                changed = true;
            }
            else
            {
                Write(rebuilt, raw);
            }

            ends[i] = rebuilt.WrittenSpan.Length;
        }

        return changed;
    }

    /// <summary>What a SELECT sends as NULL for such a field: bytea's forms, exponents or money holding a card, and a record's or array's JSON holding one.</summary>
    private bool EncodedOrJsonHoldsSecret(ReadOnlySpan<byte> value, PgValueClass valueClass) =>
        EncodedHoldsSecret(value)
        || (valueClass is PgValueClass.TextContainer or PgValueClass.Opaque && HoldsJson(value) && MaskText(value, ScanMode.DetectOnly, null, default) == MaskResult.Null);

    /// <summary>Numbers, whose text a SELECT sends as NULL when it holds a card (<see cref="MaskValue"/>).</summary>
    private static bool IsReadAsNumber(PgValueClass valueClass) =>
        valueClass is PgValueClass.Int8 or PgValueClass.Numeric or PgValueClass.Float8 or PgValueClass.Money or PgValueClass.NumberArray;

    private static void WriteWhole(ColumnMask mask, CopyToStdout format, IBufferWriter<byte> output, bool quoted)
    {
        if (WholeReplacement(mask.ValueClass, binary: false) is { } replacement)
        {
            CopyRow.WriteValue(replacement, format, output, quoted);
        }
        else
        {
            Write(output, format.Null);
        }
    }

    /// <summary>The value of a field masked by the detectors; false when they found nothing in it.</summary>
    private bool TryMaskCopyValue(ReadOnlySpan<byte> raw, CopyToStdout format, out ReadOnlySpan<byte> masked)
    {
        masked = default;
        if (!HasValueDetection)
        {
            return false;
        }

        var value = PooledBufferWriter.Scratch(2);
        CopyRow.Unescape(raw, format, value);
        var output = PooledBufferWriter.Scratch(3);
        if (!TryMask(value.WrittenSpan, output))
        {
            return false;
        }

        masked = output.WrittenSpan;
        return true;
    }
}
