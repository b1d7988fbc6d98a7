namespace Appliance.Policy.Sql;

/// <summary>
/// Where a query text differs from its siblings: clients that do not use parameters send the
/// same statement again and again with other integers in it (<c>WHERE aid = 4711</c>). The
/// shape of a text is the text with every standalone run of decimal digits replaced by one
/// <see cref="Marker"/> byte. Two texts of one shape differ in nothing but the digits of such
/// runs: the words, punctuation, quotes and comments around them are the same bytes, so they
/// split and tokenize alike. A run is standalone when neither side touches a name character
/// (letter, digit, <c>_</c>, <c>$</c>, any non-ASCII byte) or a point, which leaves names
/// (<c>t1</c>), parameters (<c>$1</c>), dollar-quote tags and numbers with a fraction or an
/// exponent (<c>1.5</c>, <c>1e3</c>, <c>0x1F</c>) as they are.
/// </summary>
internal static class SqlIntegerRuns
{
    /// <summary>A NUL byte: a query message ends at its first NUL, so no text holds one.</summary>
    public const byte Marker = 0;

    /// <summary>
    /// Writes the shape of <paramref name="utf8"/> into <paramref name="shape"/> (at least as long
    /// as the text) and where its runs lie. False when the text has no standalone run, or holds a
    /// NUL byte of its own (its shape would be ambiguous).
    /// </summary>
    public static bool TryShape(ReadOnlySpan<byte> utf8, Span<byte> shape, out ShapeInfo info)
    {
        info = default;
        if (utf8.Contains(Marker))
        {
            return false;
        }

        var written = 0;
        var copied = 0;
        var first = -1;
        for (var from = 0; TryFindRun(utf8, from, out var at, out var end); from = end)
        {
            utf8[copied..at].CopyTo(shape[written..]);
            written += at - copied;
            shape[written++] = Marker;
            copied = end;
            first = first < 0 ? at : first;
        }

        if (first < 0)
        {
            return false;
        }

        utf8[copied..].CopyTo(shape[written..]);
        written += utf8.Length - copied;
        info = new ShapeInfo(written, first, LastRunEnd: copied);
        return true;
    }

    /// <summary>Whether the text holds a standalone run (its shape is shared with other texts).</summary>
    public static bool HasRun(ReadOnlySpan<byte> utf8) => TryFindRun(utf8, 0, out _, out _);

    /// <summary>The first standalone run at or after <paramref name="from"/>: [<paramref name="start"/>, <paramref name="end"/>).</summary>
    private static bool TryFindRun(ReadOnlySpan<byte> utf8, int from, out int start, out int end)
    {
        while (from < utf8.Length)
        {
            var at = utf8[from..].IndexOfAnyInRange((byte)'0', (byte)'9');
            if (at < 0)
            {
                break;
            }

            start = from + at;
            end = start + 1;
            while (end < utf8.Length && char.IsAsciiDigit((char)utf8[end]))
            {
                end++;
            }

            if ((start == 0 || !Touches(utf8[start - 1])) && (end == utf8.Length || !Touches(utf8[end])))
            {
                return true;
            }

            from = end;
        }

        start = end = -1;
        return false;
    }

    /// <summary>A name character or a point: the digits are part of a name, a parameter or a non-integer number.</summary>
    private static bool Touches(byte b) => b >= 0x80 || char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'$' or (byte)'.';

    /// <summary>The shape's length, where the first standalone run starts and where the last one ends (in the text).</summary>
    public readonly record struct ShapeInfo(int Length, int FirstRun, int LastRunEnd);
}
