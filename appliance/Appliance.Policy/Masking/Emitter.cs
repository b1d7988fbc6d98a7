using System.Buffers;

namespace Appliance.Policy.Masking;

/// <summary>
/// Writes a value with replacements, lazily: nothing is written until the first replacement, so
/// an unchanged value costs no copy. In JSON mode it tracks whether a position is inside a
/// string, so a card written as a JSON number is replaced by a JSON string.
/// </summary>
internal ref struct Emitter
{
    private readonly ReadOnlySpan<byte> _value;
    private readonly IBufferWriter<byte>? _output;
    private readonly List<(int Start, int End)>? _spans;
    private readonly ReadOnlySpan<byte> _prefix;
    private int _jsonPosition;
    private bool _inJsonString;
    private bool _started;

    /// <param name="spans">Where each replacement goes, when the caller needs the places rather than the text.</param>
    public Emitter(ReadOnlySpan<byte> value, ScanMode mode, IBufferWriter<byte>? output, ReadOnlySpan<byte> prefix, List<(int Start, int End)>? spans = null)
    {
        _value = value;
        _spans = spans;
        Mode = mode;
        _output = mode == ScanMode.DetectOnly ? null : output;
        _prefix = prefix;
    }

    public ScanMode Mode { get; }

    /// <summary>Bytes of the value already accounted for: replacements never reach back before this.</summary>
    public int Copied { get; private set; }

    public bool Found { get; private set; }

    public void Replace(int start, int end, scoped ReadOnlySpan<byte> replacement)
    {
        Found = true;
        _spans?.Add((start, end));
        if (_output is null)
        {
            return;
        }

        if (!_started)
        {
            _started = true;
            Write(_prefix);
        }

        Write(_value[Copied..start]);
        Write(replacement);
        Copied = end;
    }

    /// <summary>A replacement for digits that, in JSON outside a string, are (part of) a number token.</summary>
    public void ReplaceNumber(int start, int end, scoped ReadOnlySpan<byte> replacement)
    {
        if (Mode != ScanMode.Json || IsInJsonString(start))
        {
            Replace(start, end, replacement);
            return;
        }

        while (start > Copied && IsNumberByte(_value[start - 1]))
        {
            start--;
        }

        while (end < _value.Length && IsNumberByte(_value[end]))
        {
            end++;
        }

        Span<byte> quoted = stackalloc byte[replacement.Length + 2];
        quoted[0] = (byte)'"';
        replacement.CopyTo(quoted[1..]);
        quoted[^1] = (byte)'"';
        Replace(start, end, quoted);
        _jsonPosition = end;
    }

    public readonly MaskResult Finish()
    {
        if (!Found)
        {
            return MaskResult.Unchanged;
        }

        if (_output is null)
        {
            return MaskResult.Null;
        }

        Write(_value[Copied..]);
        return MaskResult.Replaced;
    }

    private bool IsInJsonString(int position)
    {
        for (; _jsonPosition < position; _jsonPosition++)
        {
            var c = _value[_jsonPosition];
            if (c == '"')
            {
                _inJsonString = !_inJsonString;
            }
            else if (c == '\\' && _inJsonString)
            {
                _jsonPosition++;
            }
        }

        return _inJsonString;
    }

    private static bool IsNumberByte(byte c) => (uint)(c - '0') <= 9 || c is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E';

    private readonly void Write(scoped ReadOnlySpan<byte> bytes)
    {
        if (!bytes.IsEmpty)
        {
            var span = _output!.GetSpan(bytes.Length);
            bytes.CopyTo(span);
            _output.Advance(bytes.Length);
        }
    }
}
