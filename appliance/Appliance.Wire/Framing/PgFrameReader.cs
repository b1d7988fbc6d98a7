using System.Buffers;
using System.Buffers.Binary;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Framing;

/// <summary>
/// Finds the next typed message (<c>Byte1 type, Int32 length</c>) in a buffer. The length
/// is validated (at least 4, since it counts itself) and bounded before a single body byte
/// is waited for, so a peer cannot make the caller buffer more than it allows.
/// </summary>
internal static class PgFrameReader
{
    /// <summary>
    /// Pipe flavour, reporting positions like Kestrel's parsers. Complete: <paramref name="consumed"/>
    /// and <paramref name="examined"/> are the end of the message. Incomplete or TooLarge:
    /// consumed is the start (nothing taken) and examined the end of the buffer.
    /// </summary>
    /// <param name="maxLength">The largest length word accepted (see <see cref="PgLimits"/>).</param>
    /// <exception cref="PgProtocolException">The length word is below 4.</exception>
    public static PgFrameStatus TryRead(
        in ReadOnlySequence<byte> buffer,
        int maxLength,
        out PgFrame frame,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        // Fast path: the whole message sits in the first segment, as nearly every message does.
        var first = buffer.FirstSpan;
        if (first.Length >= PgLimits.MessageHeaderLength)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(first[1..]);
            if (length >= 4 && length <= maxLength && first.Length > length)
            {
                // Slicing from a position skips the offset walk of Slice(long, long).
                var message = buffer.Slice(buffer.Start, length + 1L);
                frame = new PgFrame(first[0], length, message);
                consumed = message.End;
                examined = consumed;
                return PgFrameStatus.Complete;
            }
        }

        return TryReadSlow(buffer, maxLength, out frame, out consumed, out examined);
    }

    /// <summary>
    /// Contiguous-buffer flavour (a socket loop over a byte array). On Complete, consume
    /// <see cref="PgSpanFrame.TotalLength"/> bytes; otherwise consume nothing.
    /// </summary>
    /// <exception cref="PgProtocolException">The length word is below 4.</exception>
    public static PgFrameStatus TryRead(ReadOnlySpan<byte> buffer, int maxLength, out PgSpanFrame frame)
    {
        frame = default;
        if (buffer.Length < PgLimits.MessageHeaderLength)
        {
            return PgFrameStatus.Incomplete;
        }

        var type = buffer[0];
        var length = BinaryPrimitives.ReadInt32BigEndian(buffer[1..]);
        var status = Check(length, maxLength, buffer.Length);
        frame = status == PgFrameStatus.Complete
            ? new PgSpanFrame(type, length, buffer[..(length + 1)])
            : new PgSpanFrame(type, length, default);
        return status;
    }

    private static PgFrameStatus TryReadSlow(
        in ReadOnlySequence<byte> buffer,
        int maxLength,
        out PgFrame frame,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        consumed = buffer.Start;
        examined = buffer.End;
        frame = default;
        if (buffer.Length < PgLimits.MessageHeaderLength)
        {
            return PgFrameStatus.Incomplete;
        }

        Span<byte> header = stackalloc byte[PgLimits.MessageHeaderLength];
        buffer.Slice(0, PgLimits.MessageHeaderLength).CopyTo(header);
        var type = header[0];
        var length = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
        var status = Check(length, maxLength, buffer.Length);
        if (status != PgFrameStatus.Complete)
        {
            frame = new PgFrame(type, length, default);
            return status;
        }

        var message = buffer.Slice(buffer.Start, length + 1L);
        frame = new PgFrame(type, length, message);
        consumed = message.End;
        examined = consumed;
        return PgFrameStatus.Complete;
    }

    private static PgFrameStatus Check(int length, int maxLength, long available)
    {
        if (length < 4)
        {
            WireThrow.InvalidLength(length);
        }

        if (length > maxLength)
        {
            return PgFrameStatus.TooLarge;
        }

        return available > length ? PgFrameStatus.Complete : PgFrameStatus.Incomplete;
    }
}
