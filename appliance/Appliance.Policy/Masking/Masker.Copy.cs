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
    /// COPY writes NULL), written as the COPY writes values; then the detectors scan the row as a
    /// line of text. A <paramref name="header"/> row (column names) is only scanned.
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

            var source = header ? row : MaskColumns(row, format, plan, fields[..count]);
            if (TryMask(source, output))
            {
                return CopyRowResult.Replaced;
            }

            if (source == row)
            {
                return CopyRowResult.Unchanged;
            }

            Write(output, source);
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

    /// <summary>The row with its masked columns replaced (in a per-thread scratch buffer), or the row itself when none has a value.</summary>
    private static ReadOnlySpan<byte> MaskColumns(ReadOnlySpan<byte> row, CopyToStdout format, ResultMaskPlan plan, ReadOnlySpan<CopyField> fields)
    {
        var masks = false;
        for (var i = 0; i < fields.Length && !masks; i++)
        {
            masks = plan[i].Action == ColumnMaskAction.MaskWhole && !fields[i].IsNull;
        }

        if (!masks)
        {
            return row;
        }

        // Scratch 1: TryMask uses scratch 0 on the result.
        var rebuilt = PooledBufferWriter.Scratch(1);
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                Write(rebuilt, [format.Delimiter]);
            }

            var field = fields[i];
            var mask = plan[i];
            if (mask.Action != ColumnMaskAction.MaskWhole || field.IsNull)
            {
                Write(rebuilt, row[field.Start..field.End]);
            }
            else if (WholeReplacement(mask.ValueClass, binary: false) is { } replacement)
            {
                CopyRow.WriteValue(replacement, format, rebuilt);
            }
            else
            {
                Write(rebuilt, format.Null);
            }
        }

        Write(rebuilt, "\n"u8);
        return rebuilt.WrittenSpan;
    }
}
