using System.Buffers;
using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

internal static partial class BackendWriter
{
    /// <summary>
    /// ErrorResponse with S and V (same, non-localized severity), C, M, then D and H when given.
    /// A guardrail block is <c>(Error, SqlStates.InsufficientPrivilege, "...")</c>; follow it
    /// with ReadyForQuery carrying the last upstream transaction status.
    /// </summary>
    public static void WriteErrorResponse(
        IBufferWriter<byte> output,
        ErrorSeverity severity,
        string sqlState,
        ReadOnlySpan<char> message,
        ReadOnlySpan<char> detail = default,
        ReadOnlySpan<char> hint = default) =>
        WriteErrorOrNotice(output, (byte)BackendMessageType.ErrorResponse, severity, sqlState, message, detail, hint);

    public static void WriteNoticeResponse(
        IBufferWriter<byte> output,
        ErrorSeverity severity,
        string sqlState,
        ReadOnlySpan<char> message,
        ReadOnlySpan<char> detail = default,
        ReadOnlySpan<char> hint = default) =>
        WriteErrorOrNotice(output, (byte)BackendMessageType.NoticeResponse, severity, sqlState, message, detail, hint);

    private static void WriteErrorOrNotice(
        IBufferWriter<byte> output,
        byte type,
        ErrorSeverity severity,
        string sqlState,
        ReadOnlySpan<char> message,
        ReadOnlySpan<char> detail,
        ReadOnlySpan<char> hint)
    {
        if (sqlState is not { Length: 5 })
        {
            throw new ArgumentException("A SQLSTATE is 5 characters.", nameof(sqlState));
        }

        var severityText = severity.ToWireText();
        var severityLength = 1 + PgSpanWriter.CStringLength(severityText);
        var length = (2 * severityLength) + 1 + 6 + 1 + PgSpanWriter.CStringLength(message) + 1;
        if (!detail.IsEmpty)
        {
            length += 1 + PgSpanWriter.CStringLength(detail);
        }

        if (!hint.IsEmpty)
        {
            length += 1 + PgSpanWriter.CStringLength(hint);
        }

        var writer = PgSpanWriter.Start(output, type, length);
        WriteField(ref writer, ErrorField.Severity, severityText);
        WriteField(ref writer, ErrorField.SeverityNonLocalized, severityText);
        WriteField(ref writer, ErrorField.SqlState, sqlState);
        WriteField(ref writer, ErrorField.Message, message);
        if (!detail.IsEmpty)
        {
            WriteField(ref writer, ErrorField.Detail, detail);
        }

        if (!hint.IsEmpty)
        {
            WriteField(ref writer, ErrorField.Hint, hint);
        }

        writer.WriteByte(0);
        writer.Complete();
    }

    private static void WriteField(ref PgSpanWriter writer, byte code, ReadOnlySpan<char> value)
    {
        writer.WriteByte(code);
        writer.WriteCString(value);
    }
}
