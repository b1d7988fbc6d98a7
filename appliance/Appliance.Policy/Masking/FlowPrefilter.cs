using System.Buffers;
using System.Text;
using Appliance.Policy.Buffers;

namespace Appliance.Policy.Masking;

/// <summary>
/// The cheap test before <see cref="Masker.FlowRefusal"/>, run on every statement of a connection
/// with masked columns: one vectorized search for all the strings that can matter (the masked
/// columns' names, the words of statements that copy, the names of functions that keep a value,
/// the statistics views, Unicode escapes). A statement with none of them cannot copy a masked
/// column. Matching is ASCII case-insensitive; a masked column with a non-ASCII name makes every
/// statement take the full look.
/// </summary>
internal sealed class FlowPrefilter
{
    private const int StackChars = 1024;

    /// <summary>Statements that copy or run something; whole words only (<c>do</c> is not <c>done</c>).</summary>
    private static readonly string[] CopyingWords = ["do", "function", "procedure", "cursor", "create", "insert", "update", "into", "prepare", "alter", "merge"];

    /// <summary>
    /// The names of functions that keep a value for later (all of them: a list of its own missed the
    /// ones added later, and a whole-row copy into setseed went unlooked at, probe DJ-1), parts of
    /// such names, the statistics views, a Unicode escape, and a backslash: an escape string can
    /// spell any name (<c>E'pg_\163tats'</c>). Not the XML dumps: each counts as reading masked
    /// data itself (its result is masked whole), so only a statement naming a masked column
    /// otherwise may not call one.
    /// </summary>
    private static readonly string[] Fragments =
        [.. Masker.Sinks.Where(name => !Masker.DumpFunctions.Contains(name)), "advisory", "lo_", "lowrite", "notify", "dblink", "emit_message", "pg_stat", "&\"", "\\"];

    private readonly SearchValues<string> _anyOf;

    /// <summary>What matters wherever it stands, even inside a longer word: the fragments and the masked columns' names.</summary>
    private readonly string[] _anywhere;
    private readonly bool _always;

    public FlowPrefilter(IEnumerable<string> maskedColumns)
    {
        string[] columns = [.. maskedColumns.Where(c => c.Length > 0)];
        _always = columns.Any(c => !Ascii.IsValid(c));
        _anywhere = [.. Fragments, .. columns];
        _anyOf = SearchValues.Create([.. _anywhere, .. CopyingWords], StringComparison.OrdinalIgnoreCase);
    }

    public bool MayMatter(ReadOnlySpan<byte> sql)
    {
        if (_always)
        {
            return true;
        }

        char[]? rented = null;
        var chars = sql.Length <= StackChars ? stackalloc char[sql.Length] : (rented = Pool<char>.Rent(sql.Length)).AsSpan(0, sql.Length);
        try
        {
            // Latin-1 maps every byte to one char: positions stay those of the bytes, and UTF-8
            // multibyte sequences become non-ASCII chars that match nothing here.
            Encoding.Latin1.GetChars(sql, chars);
            for (var offset = 0; offset < chars.Length;)
            {
                var at = chars[offset..].IndexOfAny(_anyOf);
                if (at < 0)
                {
                    return false;
                }

                var start = offset + at;
                if (!OnlyPartOfAWord(chars, start))
                {
                    return true;
                }

                offset = start + 1;
            }

            return false;
        }
        finally
        {
            if (rented is not null)
            {
                Pool<char>.Return(rented);
            }
        }
    }

    /// <summary>True when the only strings found at <paramref name="start"/> are copying words that are part of a longer word.</summary>
    private bool OnlyPartOfAWord(ReadOnlySpan<char> text, int start)
    {
        var rest = text[start..];
        foreach (var fragment in _anywhere)
        {
            if (rest.StartsWith(fragment, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        foreach (var word in CopyingWords)
        {
            var end = start + word.Length;
            if (rest.StartsWith(word, StringComparison.OrdinalIgnoreCase)
                && (start == 0 || !IsNameChar(text[start - 1])) && (end == text.Length || !IsNameChar(text[end])))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsNameChar(char c) => c >= '\u0080' || char.IsAsciiLetterOrDigit(c) || c is '_' or '$';
}
