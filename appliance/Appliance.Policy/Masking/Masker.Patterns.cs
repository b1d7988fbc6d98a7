using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Appliance.Policy.Buffers;

namespace Appliance.Policy.Masking;

internal sealed partial class Masker
{
    private static readonly byte[] Stars = "****"u8.ToArray();

    /// <summary>
    /// Custom patterns run on the value decoded to UTF-16 (as Latin-1 when it is not valid UTF-8,
    /// so byte offsets stay exact). Each match becomes one <c>*</c> per character. In JSON a match
    /// outside a string cannot be starred without breaking the document: the value becomes NULL.
    /// A timeout masks the whole value.
    /// </summary>
    private MaskResult ApplyPatterns(ReadOnlySpan<byte> value, ScanMode mode, IBufferWriter<byte>? output, ReadOnlySpan<byte> prefix)
    {
        var utf8 = Utf8.IsValid(value);
        var chars = Pool<char>.Rent(Math.Max(value.Length, 1));
        try
        {
            var length = utf8 ? Encoding.UTF8.GetChars(value, chars) : Encoding.Latin1.GetChars(value, chars);
            var text = chars.AsSpan(0, length);
            List<(int Start, int End)>? matches;
            try
            {
                matches = FindPatternMatches(text);
            }
            catch (RegexMatchTimeoutException)
            {
                Interlocked.Increment(ref _patternTimeouts);
                return MaskWholeText(mode, output, prefix);
            }

            if (matches is null)
            {
                return MaskResult.Unchanged;
            }

            if (mode == ScanMode.DetectOnly || (mode == ScanMode.Json && !AllInsideJsonStrings(text, matches)))
            {
                return MaskResult.Null;
            }

            WritePatternMasked(value, text, utf8, matches, output!, prefix);
            return MaskResult.Replaced;
        }
        finally
        {
            Pool<char>.Return(chars);
        }
    }

    /// <summary>Every pattern's matches, merged where they overlap; null when none matched (the common case allocates nothing).</summary>
    private List<(int Start, int End)>? FindPatternMatches(ReadOnlySpan<char> text)
    {
        List<(int Start, int End)>? matches = null;
        foreach (var pattern in _patterns)
        {
            foreach (var match in pattern.EnumerateMatches(text))
            {
                if (match.Length == 0)
                {
                    continue;
                }

                var start = match.Index;
                var end = match.Index + match.Length;
                if (start > 0 && char.IsLowSurrogate(text[start]))
                {
                    start--;
                }

                if (end < text.Length && char.IsLowSurrogate(text[end]))
                {
                    end++;
                }

                (matches ??= []).Add((start, end));
            }
        }

        if (matches is null || matches.Count == 1)
        {
            return matches;
        }

        matches.Sort();
        var merged = new List<(int Start, int End)> { matches[0] };
        foreach (var (start, end) in matches.Skip(1))
        {
            var last = merged[^1];
            if (start <= last.End)
            {
                merged[^1] = (last.Start, Math.Max(last.End, end));
            }
            else
            {
                merged.Add((start, end));
            }
        }

        return merged;
    }

    private static bool AllInsideJsonStrings(ReadOnlySpan<char> text, List<(int Start, int End)> matches)
    {
        var inString = false;
        var position = 0;
        foreach (var (start, end) in matches)
        {
            for (; position < start; position++)
            {
                if (text[position] == '"')
                {
                    inString = !inString;
                }
                else if (text[position] == '\\' && inString)
                {
                    position++;
                }
            }

            if (!inString || text[start..end].Contains('"'))
            {
                return false;
            }
        }

        return true;
    }

    private static void WritePatternMasked(
        ReadOnlySpan<byte> value, ReadOnlySpan<char> text, bool utf8, List<(int Start, int End)> matches, IBufferWriter<byte> output, ReadOnlySpan<byte> prefix)
    {
        Write(output, prefix);
        var charPosition = 0;
        var bytePosition = 0;
        foreach (var (start, end) in matches)
        {
            var startByte = bytePosition + ByteCount(text[charPosition..start], utf8);
            var endByte = startByte + ByteCount(text[start..end], utf8);
            Write(output, value[bytePosition..startByte]);
            var stars = 0;
            foreach (var c in text[start..end])
            {
                stars += char.IsLowSurrogate(c) ? 0 : 1;
            }

            var span = output.GetSpan(stars);
            span[..stars].Fill((byte)'*');
            output.Advance(stars);
            charPosition = end;
            bytePosition = endByte;
        }

        Write(output, value[bytePosition..]);
    }

    private static int ByteCount(ReadOnlySpan<char> text, bool utf8) => utf8 ? Encoding.UTF8.GetByteCount(text) : text.Length;

    private static MaskResult MaskWholeText(ScanMode mode, IBufferWriter<byte>? output, ReadOnlySpan<byte> prefix)
    {
        if (mode != ScanMode.Text || output is null)
        {
            return MaskResult.Null;
        }

        Write(output, prefix);
        Write(output, Stars);
        return MaskResult.Replaced;
    }
}
