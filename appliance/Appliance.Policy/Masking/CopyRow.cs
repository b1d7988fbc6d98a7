using System.Buffers;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>One field of a COPY row: its bytes as written (escapes and quotes included), and whether it stands for NULL.</summary>
internal readonly record struct CopyField(int Start, int End, bool IsNull);

/// <summary>
/// Rows of <c>COPY … TO</c> in text and CSV, as PostgreSQL writes them (copyto.c): one row per
/// CopyData message, ending in a newline. In text, a backslash escapes the next byte and raw
/// newlines never occur inside a row; in CSV a value with a delimiter, quote or newline is quoted.
/// Anything else is not a row this format produces, and is reported as such.
/// </summary>
internal static class CopyRow
{
    /// <summary>
    /// The fields of <paramref name="row"/>, written to <paramref name="fields"/>; -1 when the row
    /// does not read as one of this format or has more fields than <paramref name="fields"/> holds.
    /// </summary>
    public static int Split(ReadOnlySpan<byte> row, CopyToStdout format, Span<CopyField> fields)
    {
        if (row.IsEmpty || row[^1] != '\n')
        {
            return -1;
        }

        var line = row[..^1];
        return format.IsCsv ? SplitCsv(line, format, fields) : SplitText(line, format, fields);
    }

    private static int SplitText(ReadOnlySpan<byte> line, CopyToStdout format, Span<CopyField> fields)
    {
        var count = 0;
        var start = 0;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\')
            {
                if (++i == line.Length)
                {
                    return -1;
                }
            }
            else if (c is (byte)'\n' or (byte)'\r')
            {
                return -1;
            }
            else if (c == format.Delimiter)
            {
                if (!Add(fields, ref count, new CopyField(start, i, format.IsNull(line[start..i]))))
                {
                    return -1;
                }

                start = i + 1;
            }
        }

        return Add(fields, ref count, new CopyField(start, line.Length, format.IsNull(line[start..]))) ? count : -1;
    }

    private static int SplitCsv(ReadOnlySpan<byte> line, CopyToStdout format, Span<CopyField> fields)
    {
        var count = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            var quoted = i < line.Length && line[i] == format.Quote;
            i = quoted ? EndOfQuoted(line, i + 1, format) : EndOfUnquoted(line, i, format);
            if (i < 0 || !Add(fields, ref count, new CopyField(start, i, !quoted && format.IsNull(line[start..i]))))
            {
                return -1;
            }

            if (i == line.Length)
            {
                return count;
            }

            i++;
        }
    }

    /// <summary>Past the closing quote, which must be followed by a delimiter or the end; -1 if it is not.</summary>
    private static int EndOfQuoted(ReadOnlySpan<byte> line, int i, CopyToStdout format)
    {
        var (quote, escape) = (format.Quote, format.Escape);
        while (i < line.Length)
        {
            var c = line[i];
            var next = i + 1 < line.Length ? line[i + 1] : -1;
            if (c == escape && (escape != quote ? next == quote || next == escape : next == quote))
            {
                // CopyAttributeOutCSV writes the escape character before every quote and escape character inside quotes.
                i += 2;
            }
            else if (c == quote)
            {
                return next < 0 || next == format.Delimiter ? i + 1 : -1;
            }
            else
            {
                i++;
            }
        }

        return -1;
    }

    /// <summary>At the next delimiter or the end; -1 at a byte that would have made PostgreSQL quote the value.</summary>
    private static int EndOfUnquoted(ReadOnlySpan<byte> line, int i, CopyToStdout format)
    {
        for (; i < line.Length && line[i] != format.Delimiter; i++)
        {
            if (line[i] == format.Quote || line[i] is (byte)'\n' or (byte)'\r')
            {
                return -1;
            }
        }

        return i;
    }

    private static bool Add(Span<CopyField> fields, ref int count, CopyField field)
    {
        if (count == fields.Length)
        {
            return false;
        }

        fields[count++] = field;
        return true;
    }

    /// <summary>The field as the client reads it, in <paramref name="scratch"/>.</summary>
    public static ReadOnlySpan<byte> Unescaped(ReadOnlySpan<byte> field, CopyToStdout format, PooledBufferWriter scratch)
    {
        Unescape(field, format, scratch);
        return scratch.WrittenSpan;
    }

    /// <summary>
    /// The value a field stands for, as the client's COPY reader will read it: text escapes
    /// resolved (<c>\t</c>, <c>\\</c>, an escaped delimiter), a CSV value unquoted. The
    /// detectors scan this, not the bytes on the wire, where an escape or a chosen delimiter or
    /// quote would split a card number they know.
    /// </summary>
    public static void Unescape(ReadOnlySpan<byte> field, CopyToStdout format, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(field.Length);
        var written = 0;
        if (format.IsCsv)
        {
            if (field.Length < 2 || field[0] != format.Quote)
            {
                field.CopyTo(span);
                output.Advance(field.Length);
                return;
            }

            var inner = field[1..^1];
            for (var i = 0; i < inner.Length; i++)
            {
                if (inner[i] == format.Escape && i + 1 < inner.Length && (inner[i + 1] == format.Quote || inner[i + 1] == format.Escape))
                {
                    i++;
                }

                span[written++] = inner[i];
            }

            output.Advance(written);
            return;
        }

        for (var i = 0; i < field.Length; i++)
        {
            var c = field[i];
            if (c == '\\' && i + 1 < field.Length)
            {
                c = field[++i] switch
                {
                    (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f',
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    (byte)'v' => (byte)'\v',
                    var other => other,
                };
            }

            span[written++] = c;
        }

        output.Advance(written);
    }

    /// <summary>
    /// A value as COPY writes it: escaped in text (CopyAttributeOutText); in CSV, quoted when it
    /// must be or when <paramref name="quoted"/> (the value it replaces was: FORCE_QUOTE) (CopyAttributeOutCSV).
    /// </summary>
    public static void WriteValue(ReadOnlySpan<byte> value, CopyToStdout format, IBufferWriter<byte> output, bool quoted)
    {
        if (format.IsCsv)
        {
            WriteCsv(value, format, output, quoted);
            return;
        }

        var span = output.GetSpan(value.Length * 2);
        var written = 0;
        foreach (var c in value)
        {
            var escaped = c switch
            {
                (byte)'\b' => (byte)'b',
                (byte)'\f' => (byte)'f',
                (byte)'\n' => (byte)'n',
                (byte)'\r' => (byte)'r',
                (byte)'\t' => (byte)'t',
                (byte)'\v' => (byte)'v',
                (byte)'\\' => (byte)'\\',
                _ when c == format.Delimiter => c,
                _ => (byte)0,
            };
            if (escaped != 0)
            {
                span[written++] = (byte)'\\';
            }

            span[written++] = escaped != 0 ? escaped : c;
        }

        output.Advance(written);
    }

    private static void WriteCsv(ReadOnlySpan<byte> value, CopyToStdout format, IBufferWriter<byte> output, bool quoted)
    {
        var quote = quoted || value.SequenceEqual(format.Null) || value.IndexOfAny([format.Delimiter, format.Quote, (byte)'\n', (byte)'\r']) >= 0;
        var span = output.GetSpan((value.Length * 2) + 2);
        if (!quote)
        {
            value.CopyTo(span);
            output.Advance(value.Length);
            return;
        }

        var written = 0;
        span[written++] = format.Quote;
        foreach (var c in value)
        {
            if (c == format.Quote || c == format.Escape)
            {
                span[written++] = format.Escape;
            }

            span[written++] = c;
        }

        span[written++] = format.Quote;
        output.Advance(written);
    }
}
