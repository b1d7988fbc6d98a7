using System.Buffers;

namespace Appliance.Policy.Masking;

[Flags]
internal enum Detectors : byte
{
    None = 0,
    Card = 1,
    Ssn = 2,
    Email = 4,

    /// <summary>
    /// Not a detector: the value is bytes (a bytea's), not text in some encoding, so an address
    /// with bytes that are not UTF-8 counts only where it is ASCII. A stray '@' among random bytes
    /// read as one and was masked into the data (probe PB1: one random blob in 25).
    /// </summary>
    Bytes = 8,
}

internal enum ScanMode : byte
{
    /// <summary>Rewrite matches in place.</summary>
    Text,
    /// <summary>Rewrite matches; a card written as a JSON number becomes a JSON string, so the document stays valid.</summary>
    Json,
    /// <summary>Write nothing; report the first match (for values that can only be replaced by NULL).</summary>
    DetectOnly,
}

/// <summary>
/// The value detectors over UTF-8 (or any ASCII-compatible) bytes. A vectorized search for a
/// digit or '@' skips values that cannot match; then each run of digits, possibly grouped by
/// single spaces or dashes, is tested:
/// <list type="bullet">
/// <item>card: 13–19 digits, Luhn-valid, starting with 2 to 6, 81 or 82 (the card networks), either one run or groups of which all
/// but the last have at least 3 digits, or a number with thousands separators (<c>4,111,111,111,111,111</c>, as money and
/// to_char write it); a run longer than 19 digits is never a card. Written <c>****-****-****-1111</c>.</item>
/// <item>SSN: <c>ddd-dd-dddd</c> with a valid area (not 000, 666, 9xx), group (not 00) and serial
/// (not 0000). Nine bare digits are not treated as an SSN: that would mask every 9-digit number;
/// SSN columns stored without dashes are covered by column rules. Written <c>***-**-6789</c>.</item>
/// <item>e-mail: <c>local@domain.tld</c>, the local part of letters, digits, <c>._%+-</c> or non-ASCII;
/// written with the first character kept and the domain kept: <c>a***@example.com</c>.</item>
/// </list>
/// Letters next to digits do not protect them (<c>x4111111111111111</c> is masked): fail closed;
/// only a hex digest's own digits are left alone (<see cref="IsInHexWord"/>). An address holding
/// bytes that are not UTF-8 (a LATIN1 session, binary data in a bytea) needs ASCII letters or
/// digits on both sides of its '@'.
/// A number's decimals are not read (<c>12.4111111111111111</c>): that was one average in ten masked; nor
/// is one run right after <c>+</c>, an international phone number (<c>+4915100015838</c>).
/// </summary>
internal static class ValueScanner
{
    public const int MinCardDigits = 13;
    public const int MaxCardDigits = 19;

    private const int MinCardGroupDigits = 3;

    private static readonly SearchValues<byte> DigitsAndAt = SearchValues.Create("0123456789@"u8);
    private static readonly SearchValues<byte> DigitBytes = SearchValues.Create("0123456789"u8);
    private static readonly SearchValues<byte> AtByte = SearchValues.Create("@"u8);
    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);
    private static readonly SearchValues<byte> AsciiLettersAndDigits =
        SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"u8);

    /// <summary>The longest hex digest <see cref="IsInHexWord"/> knows (SHA-512).</summary>
    private const int MaxDigestLength = 128;

    public static SearchValues<byte> Triggers(Detectors detectors) =>
        (detectors & (Detectors.Card | Detectors.Ssn)) == 0 ? AtByte
        : (detectors & Detectors.Email) == 0 ? DigitBytes
        : DigitsAndAt;

    /// <summary>
    /// Scans <paramref name="value"/>. In the rewriting modes the result, preceded by
    /// <paramref name="prefix"/>, is written to <paramref name="output"/> only when something
    /// matched. Returns <see cref="MaskResult.Null"/> only in <see cref="ScanMode.DetectOnly"/>.
    /// </summary>
    /// <param name="spans">Filled with where each match is (in the rewriting modes).</param>
    public static MaskResult Scan(
        ReadOnlySpan<byte> value, Detectors detectors, ScanMode mode, IBufferWriter<byte>? output, ReadOnlySpan<byte> prefix = default,
        List<(int Start, int End)>? spans = null)
    {
        if (detectors == Detectors.None)
        {
            return MaskResult.Unchanged;
        }

        var triggers = Triggers(detectors);
        var first = value.IndexOfAny(triggers);
        if (first < 0)
        {
            return MaskResult.Unchanged;
        }

        var emitter = new Emitter(value, mode, output, prefix, spans);
        var position = first;
        while (position < value.Length)
        {
            var next = value[position..].IndexOfAny(triggers);
            if (next < 0)
            {
                break;
            }

            var i = position + next;
            position = value[i] == (byte)'@'
                ? ScanEmail(value, i, detectors, ref emitter)
                : ScanDigits(value, i, detectors, ref emitter);
            if (emitter.Found && mode == ScanMode.DetectOnly)
            {
                return MaskResult.Null;
            }
        }

        return emitter.Finish();
    }

    private static int ScanEmail(ReadOnlySpan<byte> value, int at, Detectors detectors, ref Emitter emitter)
    {
        if ((detectors & Detectors.Email) == 0)
        {
            return at + 1;
        }

        var localStart = LocalStart(value, at, emitter.Copied, ascii: false);
        var end = DomainEnd(value, at + 1, ascii: false);
        var utf8 = end < 0 || IsText(value[localStart..end]);
        if (!utf8 && (detectors & Detectors.Bytes) != 0)
        {
            // Bytes: only the ASCII address around the '@' (an e-mail in LATIN1 bytes keeps its ASCII part masked).
            localStart = LocalStart(value, at, emitter.Copied, ascii: true);
            end = DomainEnd(value, at + 1, ascii: true);
            utf8 = true;
        }
        else if (!utf8 && !(HasAsciiLetterOrDigit(value[localStart..at]) && HasAsciiLetterOrDigit(value[(at + 1)..end])))
        {
            // Bytes that are not UTF-8: text in a one-byte client encoding (LATIN1's 'é' is E9:
            // andré@ex.com, and any byte may stand next to the '@'), or binary data, where a stray
            // '@' between two runs of high bytes is no address. Only one with ASCII letters or
            // digits on both sides of the '@' counts.
            return at + 1;
        }

        if (localStart == at || end < 0)
        {
            return at + 1;
        }

        // Keep the local part's first character whole (1–4 bytes in UTF-8, one in a one-byte encoding).
        var lead = value[localStart];
        var keep = !utf8 || lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        keep = Math.Min(keep, at - localStart);
        emitter.Replace(localStart + keep, at, "***"u8);

        // The domain stays, but not what it may hold: a@x.4111111111111111.com, a@example.com-078-05-1120 (probe AF).
        return at + 1;
    }

    /// <summary>Where the local part before the '@' at <paramref name="at"/> starts (at <paramref name="at"/> when there is none).</summary>
    private static int LocalStart(ReadOnlySpan<byte> value, int at, int copied, bool ascii)
    {
        var start = at;
        while (start > copied && IsLocalPart(value[start - 1]) && !(ascii && value[start - 1] >= 0x80))
        {
            start--;
        }

        return start;
    }

    /// <summary>The end of <c>label(.label)+</c> after '@' with a top-level label of 2+ characters and a letter, or -1.</summary>
    private static int DomainEnd(ReadOnlySpan<byte> value, int start, bool ascii)
    {
        var i = start;
        var lastDot = -1;
        while (i < value.Length)
        {
            var c = value[i];
            // A label starts with a letter or digit, not '-' (probe QB2: random bytes' "m8@-.2L").
            if (IsDomainPart(c) && !(ascii && c >= 0x80) && !(c == '-' && (i == start || value[i - 1] == '.')))
            {
                i++;
            }
            else if (c == '.' && i > start && value[i - 1] != '.' && i + 1 < value.Length && IsDomainPart(value[i + 1]) && !(ascii && value[i + 1] >= 0x80))
            {
                lastDot = i++;
            }
            else
            {
                break;
            }
        }

        if (lastDot < 0 || i - lastDot - 1 < 2)
        {
            return -1;
        }

        foreach (var c in value[(lastDot + 1)..i])
        {
            if (char.IsAsciiLetter((char)c) || c >= 0x80)
            {
                return i;
            }
        }

        return -1;
    }

    private static int ScanDigits(ReadOnlySpan<byte> value, int start, Detectors detectors, ref Emitter emitter)
    {
        if (UuidEnd(value, start) is var uuidEnd and >= 0)
        {
            return uuidEnd;
        }

        if ((detectors & Detectors.Card) != 0 && !IsFraction(value, start))
        {
            Span<byte> cardMask = stackalloc byte[19];
            if (ThousandsGroupedCardEnd(value, start, cardMask[15..]) is var groupedEnd and >= 0)
            {
                "****-****-****-"u8.CopyTo(cardMask);
                emitter.ReplaceNumber(start, groupedEnd, cardMask);
                return Math.Max(groupedEnd, emitter.Copied);
            }
        }

        // Most digit runs (amounts, dates, ids) are too short to be anything: skip them cheaply.
        var end = SequenceEnd(value, start, out var digitCount);
        var needed = (detectors & Detectors.Ssn) != 0 ? 9 : (detectors & Detectors.Card) != 0 ? MinCardDigits : int.MaxValue;
        if (digitCount < needed || IsFraction(value, start) || IsInHexWord(value, start, end))
        {
            return end;
        }

        // Groups of digits joined by one space or dash: "4111 1111 1111 1111", "123-45-6789".
        var groups = new GroupList();
        var i = start;
        while (true)
        {
            var groupStart = i;
            while (i < value.Length && IsDigit(value[i]))
            {
                i++;
            }

            groups.Add(groupStart, i - groupStart);
            if (i + 1 < value.Length && value[i] is (byte)' ' or (byte)'-' && IsDigit(value[i + 1]))
            {
                i++;
                continue;
            }

            break;
        }

        if ((detectors & (Detectors.Card | Detectors.Ssn)) != 0)
        {
            DetectInGroups(value, ref groups, detectors, ref emitter);
        }

        groups.Release();

        return Math.Max(i, emitter.Copied);
    }

    /// <summary>The end of the digit sequence at <paramref name="start"/> (digits joined by single spaces or dashes).</summary>
    private static int SequenceEnd(ReadOnlySpan<byte> value, int start, out int digitCount)
    {
        var i = start;
        digitCount = 0;
        while (true)
        {
            var run = value[i..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            run = run < 0 ? value.Length - i : run;
            digitCount += run;
            i += run;
            if (i + 1 < value.Length && value[i] is (byte)' ' or (byte)'-' && IsDigit(value[i + 1]))
            {
                i++;
                continue;
            }

            return i;
        }
    }

    private static void DetectInGroups(ReadOnlySpan<byte> value, ref GroupList groups, Detectors detectors, ref Emitter emitter)
    {
        var count = groups.Count;
        Span<byte> cardMask = stackalloc byte[19];
        Span<byte> ssnMask = stackalloc byte[11];
        "****-****-****-"u8.CopyTo(cardMask);
        "***-**-"u8.CopyTo(ssnMask);
        for (var a = 0; a < count; a++)
        {
            if ((detectors & Detectors.Card) != 0 && FindCard(value, ref groups, a) is var last and >= 0)
            {
                var end = groups.Start(last) + groups.Length(last);
                CopyLastDigits(value, ref groups, last, cardMask[15..]);
                emitter.ReplaceNumber(groups.Start(a), end, cardMask);
                a = last;
                if (emitter.Found && emitter.Mode == ScanMode.DetectOnly)
                {
                    return;
                }

                continue;
            }

            if ((detectors & Detectors.Ssn) != 0 && a + 2 < count && IsSsn(value, ref groups, a))
            {
                var end = groups.Start(a + 2) + 4;
                value.Slice(end - 4, 4).CopyTo(ssnMask[7..]);
                emitter.Replace(groups.Start(a), end, ssnMask);
                a += 2;
                if (emitter.Mode == ScanMode.DetectOnly)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The last group of the longest Luhn-valid card starting at group <paramref name="a"/>, or -1.</summary>
    private static int FindCard(ReadOnlySpan<byte> value, ref GroupList groups, int a)
    {
        // Payment cards start with 2 to 6 (Mastercard's 2-series, Amex, Diners and JCB, Visa,
        // Mastercard, Discover and UnionPay), or 81/82 (RuPay, UnionPay); other leading digits are
        // ids, phone numbers and epoch milliseconds (1675238280000), one in ten of which passes Luhn.
        // One run of digits right after '+' is an international phone number (+4915100015838),
        // never written so as a card: one in ten of them was masked (probe EH2). Grouped, as a
        // card is written (+4111 1111 1111 1111), it is still one (EJ6).
        var phone = groups.Start(a) > 0 && value[groups.Start(a) - 1] == '+';
        if (!IsCardLead(value[groups.Start(a)], groups.Length(a) > 1 ? value[groups.Start(a) + 1] : (byte)0))
        {
            return -1;
        }

        Span<byte> digits = stackalloc byte[MaxCardDigits];
        var found = -1;
        var length = 0;
        for (var b = a; b < groups.Count; b++)
        {
            var groupLength = groups.Length(b);
            // Grouped digits: every group but the last has 3+ digits ("4111 1111 1111 1111 1" is 17).
            if (length + groupLength > MaxCardDigits || (b > a && groups.Length(b - 1) < MinCardGroupDigits))
            {
                break;
            }

            value.Slice(groups.Start(b), groupLength).CopyTo(digits[length..]);
            length += groupLength;
            if (length >= MinCardDigits && !(phone && b == a) && IsIssuedLength(digits[..length]) && Luhn.IsValid(digits[..length]))
            {
                found = b;
            }
        }

        return found;
    }

    /// <summary>
    /// Lengths that issuers whose numbers start so never give out: Amex (34, 37) 15 digits, JCB (35)
    /// 16 to 19, Mastercard (51 to 55, 22 to 27) and Mir 16 or more, Diners (30, 36, 38, 39) 14 or
    /// more, and nobody 59. Phones' IMEIs (15 digits from 35) and barcodes (EAN-13 from 30 to 37,
    /// 590) were masked as cards one in ten (probes AU2, AR4). Visa (4: 13, 16, 19 digits), Maestro
    /// (50, 56 to 58, 6: 12 to 19), Discover, UnionPay and RuPay keep every length.
    /// </summary>
    internal static bool IsIssuedLength(ReadOnlySpan<byte> digits) => ((digits[0] - '0') * 10 + digits[1] - '0') switch
    {
        34 or 37 => digits.Length == 15,
        35 => digits.Length >= 16,
        (>= 51 and <= 55) or (>= 22 and <= 27) or 59 => digits.Length >= 16,
        30 or 36 or 38 or 39 => digits.Length >= 14,
        _ => true,
    };

    /// <summary>
    /// No issuer's numbers start with 20 (Mastercard's 2-series is 2221 to 2720, Mir's 2200 to
    /// 2204): such runs are compact timestamps of this century (20230201075800, one in ten of
    /// which passes Luhn; probe TC3).
    /// </summary>
    internal static bool IsCardLead(byte lead, byte second) =>
        lead is >= (byte)'2' and <= (byte)'8' && lead != '7' && (lead != '8' || second is (byte)'1' or (byte)'2') && (lead != '2' || second != '0');

    /// <summary>
    /// A card written as a number with thousands separators, as <c>money</c>'s output and
    /// <c>to_char</c> write one: <c>4,111,111,111,111,111</c> (or with '.', an apostrophe or a
    /// space between the groups): one to three digits, then groups of exactly three, 13 to 19
    /// digits in all. Returns the end of the last group and copies its last four digits, or -1.
    /// </summary>
    private static int ThousandsGroupedCardEnd(ReadOnlySpan<byte> value, int start, scoped Span<byte> lastFour)
    {
        var first = value[start..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (first is < 1 or > 3 || start + first + 4 > value.Length)
        {
            return -1;
        }

        var separator = value[start + first];
        if (separator is not ((byte)',' or (byte)'.' or (byte)'\'' or (byte)' '))
        {
            return -1;
        }

        Span<byte> digits = stackalloc byte[MaxCardDigits];
        value.Slice(start, first).CopyTo(digits);
        var length = first;
        var i = start + first;
        while (i + 3 < value.Length && value[i] == separator && IsDigit(value[i + 1]) && IsDigit(value[i + 2]) && IsDigit(value[i + 3])
            && (i + 4 == value.Length || !IsDigit(value[i + 4])))
        {
            if (length + 3 > MaxCardDigits)
            {
                return -1;
            }

            value.Slice(i + 1, 3).CopyTo(digits[length..]);
            length += 3;
            i += 4;
        }

        if (length < MinCardDigits || !IsCardLead(digits[0], digits[1]) || !IsIssuedLength(digits[..length]) || !Luhn.IsValid(digits[..length]))
        {
            return -1;
        }

        digits.Slice(length - 4, 4).CopyTo(lastFour);
        return i;
    }

    private static void CopyLastDigits(ReadOnlySpan<byte> value, ref GroupList groups, int last, scoped Span<byte> destination)
    {
        var filled = destination.Length;
        for (var g = last; filled > 0; g--)
        {
            var group = value.Slice(groups.Start(g), groups.Length(g));
            var take = Math.Min(filled, group.Length);
            group[^take..].CopyTo(destination[(filled - take)..]);
            filled -= take;
        }
    }

    /// <summary>
    /// ddd-dd-dddd, or ddd dd dddd (probe AN1: forms and notes write it so), with a valid area,
    /// group and serial (SSA: no 000, 666 or 9xx area, no 00 group, no 0000 serial). Nine digits
    /// in one run are not taken for one: too many ids and amounts are nine digits long.
    /// </summary>
    private static bool IsSsn(ReadOnlySpan<byte> value, ref GroupList groups, int a)
    {
        if (groups.Length(a) != 3 || groups.Length(a + 1) != 2 || groups.Length(a + 2) != 4
            || value[groups.Start(a + 1) - 1] is not ((byte)'-' or (byte)' ') || value[groups.Start(a + 2) - 1] != value[groups.Start(a + 1) - 1])
        {
            return false;
        }

        var area = value.Slice(groups.Start(a), 3);
        return !area.SequenceEqual("000"u8) && !area.SequenceEqual("666"u8) && area[0] != '9'
            && !value.Slice(groups.Start(a + 1), 2).SequenceEqual("00"u8)
            && !value.Slice(groups.Start(a + 2), 4).SequenceEqual("0000"u8);
    }

    /// <summary>
    /// Digits right after <c>&lt;digit&gt;.</c> are a number's decimals (<c>12.4111111111111111</c>,
    /// an average or a division in numeric): no card or SSN starts there, and one in ten such runs
    /// of 13 or more digits passes the Luhn check.
    /// </summary>
    private static bool IsFraction(ReadOnlySpan<byte> value, int start) => start >= 2 && value[start - 1] == '.' && IsDigit(value[start - 2]);

    /// <summary>
    /// Digits inside a hex digest (md5, SHA-1, SHA-2: a word of 32, 40, 56, 64, 96 or 128 hex
    /// digits, also a UUID written without dashes) are part of it: about one md5 digest in a
    /// thousand holds a Luhn-valid run of 13 or more digits, and masking it changed the digest.
    /// Letters next to digits otherwise do not protect them (<c>x4111111111111111</c>, <c>ab4111111111111111</c>).
    /// </summary>
    private static bool IsInHexWord(ReadOnlySpan<byte> value, int start, int end)
    {
        if ((start == 0 || !IsHexLetter(value[start - 1])) && (end == value.Length || !IsHexLetter(value[end])))
        {
            return false;
        }

        // No further than a digest is long: a value of one long word holds many digit runs.
        var wordStart = start;
        while (wordStart > 0 && start - wordStart <= MaxDigestLength && char.IsAsciiLetterOrDigit((char)value[wordStart - 1]))
        {
            wordStart--;
        }

        // A bytea's text, \x then the hex (a digest kept as bytea, b::text: probe RB1).
        if (wordStart > 0 && value[wordStart - 1] == '\\' && (value[wordStart] | 0x20) == 'x')
        {
            wordStart++;
        }

        var wordEnd = start;
        while (wordEnd < value.Length && wordEnd - wordStart <= MaxDigestLength && char.IsAsciiLetterOrDigit((char)value[wordEnd]))
        {
            wordEnd++;
        }

        // A run grouped by spaces or dashes is no part of one word.
        return wordEnd >= end && IsDigestLength(wordEnd - wordStart)
            && !value[wordStart..wordEnd].ContainsAnyExcept(HexDigits);
    }

    private static bool IsHexLetter(byte c) => (uint)((c | 0x20) - 'a') <= 'f' - 'a';

    /// <summary>
    /// The end of the UUID written with dashes (8-4-4-4-12 hex digits, a word of its own) that the
    /// digits at <paramref name="start"/> stand in, or -1. Its digit runs read as a card grouped by
    /// dashes about one UUID in a thousand, inside arrays, records and JSON, where it is text
    /// (probe OA5: <c>1aa****-****-****-4742-…</c>). A uuid column is never scanned at all.
    /// </summary>
    private static int UuidEnd(ReadOnlySpan<byte> value, int start)
    {
        // Where the run of hex digits and dashes holding start begins: a UUID that is a word of its own starts there.
        var from = start;
        while (from > 0 && start - from <= 36 && (IsHexDigit(value[from - 1]) || value[from - 1] == '-'))
        {
            from--;
        }

        return start - from < 36 && (from == 0 || !IsWordByte(value[from - 1])) && IsUuid(value, from) ? from + 36 : -1;
    }

    private static bool IsUuid(ReadOnlySpan<byte> value, int at)
    {
        if (value.Length - at < 36 || (value.Length - at > 36 && IsWordByte(value[at + 36])))
        {
            return false;
        }

        for (var i = 0; i < 36; i++)
        {
            if (i is 8 or 13 or 18 or 23 ? value[at + i] != '-' : !IsHexDigit(value[at + i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsHexDigit(byte c) => char.IsAsciiHexDigit((char)c);

    /// <summary>How many hex digits md5, SHA-1 and the SHA-2 family write (a UUID without dashes is 32).</summary>
    internal static bool IsDigestLength(int hexDigits) => hexDigits is 32 or 40 or 56 or 64 or 96 or 128;

    private static bool IsWordByte(byte c) => char.IsAsciiLetterOrDigit((char)c) || c is (byte)'-' or (byte)'_';

    /// <summary>
    /// An address's non-ASCII characters are UTF-8 (<c>żaneta@example.pl</c>), or it is read as
    /// one-byte text (see <see cref="ScanEmail"/>).
    /// </summary>
    private static bool IsText(ReadOnlySpan<byte> candidate) => System.Text.Unicode.Utf8.IsValid(candidate);

    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;

    private static bool IsLocalPart(byte c) =>
        char.IsAsciiLetterOrDigit((char)c) || c is (byte)'.' or (byte)'_' or (byte)'%' or (byte)'+' or (byte)'-' || c >= 0x80;

    private static bool IsDomainPart(byte c) => char.IsAsciiLetterOrDigit((char)c) || c == '-' || c >= 0x80;

    private static bool HasAsciiLetterOrDigit(ReadOnlySpan<byte> bytes) => bytes.ContainsAny(AsciiLettersAndDigits);

    /// <summary>Start/length pairs in a per-thread array that grows for very long runs (scans never nest).</summary>
    private ref struct GroupList
    {
        [ThreadStatic]
        private static int[]? _shared;

        private int[] _pairs;

        public GroupList()
        {
            _pairs = _shared ??= new int[128];
        }

        public int Count { get; private set; }

        public readonly int Start(int i) => _pairs[2 * i];

        public readonly int Length(int i) => _pairs[(2 * i) + 1];

        public void Add(int start, int length)
        {
            if (2 * (Count + 1) > _pairs.Length)
            {
                Array.Resize(ref _pairs, _pairs.Length * 2);
                _shared = _pairs;
            }

            _pairs[2 * Count] = start;
            _pairs[(2 * Count) + 1] = length;
            Count++;
        }

        /// <summary>Lets a buffer grown by a huge value go, rather than keep it for the thread's life.</summary>
        public readonly void Release()
        {
            if (_pairs.Length > 8192)
            {
                _shared = null;
            }
        }
    }
}
