using System.Buffers;
using System.Buffers.Binary;
using Appliance.Policy.Masking;
using Appliance.Wire;
using Appliance.Wire.Backend;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// Data leaves through more than DataRows: an error quotes the value that failed a cast, a
/// notice or NOTIFY payload carries whatever a statement put in it, a reported
/// application_name whatever set_config gave it. Their texts pass the value detectors; when the
/// statement they answer may carry a masked column (see Masker.MentionsMaskedColumn), the parts
/// that can hold a value are withheld: what follows an error message's first ": ", its quoted values and numbers, an error
/// raised by PL/pgSQL, the detail, hint, context and internal query, a notice's text, syntax
/// errors included, and the error's positions.
/// </summary>
internal static class SideChannels
{
    private static readonly byte[] Stars = "****"u8.ToArray();

    /// <summary>
    /// Writes the message as it may leave to <paramref name="output"/>; false, having written
    /// nothing, when it may leave as it is.
    /// </summary>
    public static bool TryRewrite(byte type, ReadOnlySpan<byte> body, Masker masker, bool withhold, IBufferWriter<byte> output) => type switch
    {
        (byte)BackendMessageType.ErrorResponse or (byte)BackendMessageType.NoticeResponse =>
            TryRewriteFields(type, body, masker, withhold, output),
        (byte)BackendMessageType.ParameterStatus => TryRewriteParameter(body, masker, withhold, output),
        (byte)BackendMessageType.NotificationResponse => TryRewriteNotification(body, masker, withhold, output),
        _ => false,
    };

    private static bool TryRewriteFields(byte type, ReadOnlySpan<byte> body, Masker masker, bool withhold, IBufferWriter<byte> output)
    {
        var message = ErrorOrNoticeMessage.Parse(body);
        var raised = message.SqlState.StartsWith("P0"u8);

        // No error is trusted to quote only the client's own text: a syntax error is also raised
        // while running, on data parsed as a type name or a query (('int ' || ssn)::regtype,
        // to_tsquery), with a position like the parser's; class 42 errors quote data too (a value
        // cast to regclass names a relation that does not exist). Its position is a number the
        // data chose too: padding the parsed text with repeat(' ', substr(ssn, 1, 3)::int) moved
        // it by those digits (probe CD), so positions go; a real syntax error loses its caret.
        var fields = new ArrayBufferWriter<byte>(body.Length + 16);
        var changed = false;
        foreach (var field in message)
        {
            if (withhold && field.Code is ErrorField.Position or ErrorField.InternalPosition)
            {
                changed = true;
                continue;
            }

            fields.Write([field.Code]);
            var value = field.Value;
            if (field.Code is ErrorField.Message or ErrorField.Detail or ErrorField.Hint or ErrorField.Where or ErrorField.InternalQuery)
            {
                if (withhold && (type == (byte)BackendMessageType.NoticeResponse || raised || field.Code != ErrorField.Message))
                {
                    value = value.IsEmpty ? value : Stars;
                }
                else if (withhold)
                {
                    value = WithoutNumbers(WithoutQuotedValues(WithoutTail(value)));
                }

                var masked = new ArrayBufferWriter<byte>(value.Length + 8);
                if (masker.TryMask(value, masked))
                {
                    value = masked.WrittenSpan;
                }

                changed |= !value.SequenceEqual(field.Value);
            }

            fields.Write(value);
            fields.Write([(byte)0]);
        }

        fields.Write([(byte)0]);
        return changed && WriteMessage(type, fields.WrittenSpan, output);
    }

    /// <summary>
    /// What follows a message's first <c>": "</c> is the value it is about, quoted or not
    /// (<c>operator does not exist: ebbbx…</c> prints a cast value unquoted, turned into letters
    /// so no number or detector catches it): withheld whole, a quoted one keeping its quotes.
    /// </summary>
    private static ReadOnlySpan<byte> WithoutTail(ReadOnlySpan<byte> text)
    {
        var colon = text.IndexOf(": "u8);
        if (colon < 0)
        {
            return text;
        }

        var tail = text[(colon + 2)..];
        var quoted = tail.Length >= 2 && tail[0] == (byte)'"' && tail[^1] == (byte)'"';
        var output = new ArrayBufferWriter<byte>(colon + 8);
        output.Write(text[..(colon + 2)]);
        output.Write(quoted ? "\"****\""u8 : Stars);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// PostgreSQL puts the values in its messages in double quotes (<c>invalid input syntax for
    /// type integer: "…"</c>); a value may hold quotes itself (<c>function ""123"" does not
    /// exist</c>), so everything from the first quote to the last is withheld.
    /// </summary>
    private static byte[] WithoutQuotedValues(ReadOnlySpan<byte> text)
    {
        var open = text.IndexOf((byte)'"');
        var close = text.LastIndexOf((byte)'"');
        if (open < 0 || close <= open)
        {
            return text.ToArray();
        }

        var output = new ArrayBufferWriter<byte>(text.Length);
        output.Write(text[..(open + 1)]);
        output.Write(Stars);
        output.Write(text[close..]);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Some messages print a number or bytes unquoted (<c>requested character too large for
    /// encoding: 132187920</c>, <c>index 41111111 out of valid range</c>, <c>character with byte
    /// sequence 0xea 0xaa 0xab</c>): a masked value turned into a number or into chosen bytes
    /// comes back through them, a piece at a time. Every word holding a digit is withheld.
    /// </summary>
    private static byte[] WithoutNumbers(byte[] text)
    {
        if (text.AsSpan().IndexOfAnyInRange((byte)'0', (byte)'9') < 0)
        {
            return text;
        }

        var output = new ArrayBufferWriter<byte>(text.Length + 8);
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiLetterOrDigit((char)text[i]))
            {
                output.Write([text[i++]]);
                continue;
            }

            var start = i;
            var digit = false;
            for (; i < text.Length && char.IsAsciiLetterOrDigit((char)text[i]); i++)
            {
                digit |= char.IsAsciiDigit((char)text[i]);
            }

            output.Write(digit ? Stars : text.AsSpan(start, i - start));
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Only application_name of the reported parameters holds free text.</summary>
    private static bool TryRewriteParameter(ReadOnlySpan<byte> body, Masker masker, bool withhold, IBufferWriter<byte> output)
    {
        var parameter = ParameterStatusMessage.Parse(body);
        if (!parameter.Name.SequenceEqual("application_name"u8))
        {
            return false;
        }

        var value = MaskedText(parameter.Value, masker, withhold);
        if (value.SequenceEqual(parameter.Value))
        {
            return false;
        }

        var rewritten = new ArrayBufferWriter<byte>(body.Length + 8);
        rewritten.Write(parameter.Name);
        rewritten.Write([(byte)0]);
        rewritten.Write(value);
        rewritten.Write([(byte)0]);
        return WriteMessage((byte)BackendMessageType.ParameterStatus, rewritten.WrittenSpan, output);
    }

    private static bool TryRewriteNotification(ReadOnlySpan<byte> body, Masker masker, bool withhold, IBufferWriter<byte> output)
    {
        var notification = NotificationResponseMessage.Parse(body);
        var payload = MaskedText(notification.Payload, masker, withhold);
        if (payload.SequenceEqual(notification.Payload))
        {
            return false;
        }

        var rewritten = new ArrayBufferWriter<byte>(body.Length + 8);
        var pid = rewritten.GetSpan(4);
        BinaryPrimitives.WriteInt32BigEndian(pid, notification.ProcessId);
        rewritten.Advance(4);
        rewritten.Write(notification.Channel);
        rewritten.Write([(byte)0]);
        rewritten.Write(payload);
        rewritten.Write([(byte)0]);
        return WriteMessage((byte)BackendMessageType.NotificationResponse, rewritten.WrittenSpan, output);
    }

    /// <summary>A side channel's text as the client is shown it: withheld whole, or through the value detectors.</summary>
    internal static ReadOnlySpan<byte> MaskedText(ReadOnlySpan<byte> value, Masker masker, bool withhold)
    {
        if (withhold && !value.IsEmpty)
        {
            return Stars;
        }

        var masked = new ArrayBufferWriter<byte>(value.Length + 8);
        return masker.TryMask(value, masked) ? masked.WrittenSpan : value;
    }

    public static bool WriteMessage(byte type, ReadOnlySpan<byte> content, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(PgLimits.MessageHeaderLength + content.Length);
        span[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], content.Length + 4);
        content.CopyTo(span[PgLimits.MessageHeaderLength..]);
        output.Advance(PgLimits.MessageHeaderLength + content.Length);
        return true;
    }
}
