using System.Buffers;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.HotPath;

/// <summary>
/// The per-message path of the proxy allocates nothing: framing, parsing, enumerating,
/// writing and rewriting rows. Measured as bytes allocated on this thread, after a warm-up
/// run so JIT work is not counted.
/// </summary>
public class ZeroAllocationTests
{
    private static readonly byte[] ClientStream =
    [
        .. PgBytes.Write(o => FrontendWriter.WriteParse(o, "", "select * from t where id = $1", [23])),
        .. PgBytes.Write(o => FrontendWriter.WriteBind(o, "", "", [PgFormat.Binary], [new byte[] { 0, 0, 0, 1 }], [PgFormat.Text])),
        .. PgBytes.Write(o => FrontendWriter.WriteDescribe(o, DescribeTarget.Portal, "")),
        .. PgBytes.Write(o => FrontendWriter.WriteExecute(o, "", 0)),
        .. PgBytes.Write(FrontendWriter.WriteSync),
    ];

    private static readonly byte[] ServerStream =
    [
        .. PgBytes.Write(o => BackendWriter.WriteRowDescription(o, [new("id", 1, 1, 23, 4, -1, PgFormat.Text), RowField.Text("card")])),
        .. PgBytes.Write(o => BackendWriter.WriteDataRow(o, ["1", "4111111111111111"])),
        .. PgBytes.Write(o => BackendWriter.WriteCommandComplete(o, "SELECT 1")),
        .. PgBytes.Write(o => BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle)),
    ];

    [Fact]
    public void ClientMessages_FramedAndParsed_AllocateNothing()
    {
        var sequence = new ReadOnlySequence<byte>(ClientStream);
        using var scratch = new MessageBuffer();

        var seen = 0;

        Assert.Equal(0, Measure(() => seen = ParseClientStream(sequence, scratch)));
        Assert.Equal(11115, seen);
    }

    [Fact]
    public void ServerMessages_ParsedMaskedAndAnswered_AllocateNothing()
    {
        var sequence = new ReadOnlySequence<byte>(ServerStream);
        using var scratch = new MessageBuffer();
        var rewriter = new DataRowRewriter();
        var output = new ArrayBufferWriter<byte>(64 * 1024);

        Assert.Equal(0, Measure(() =>
        {
            output.ResetWrittenCount();
            RelayServerStream(sequence, scratch, rewriter, output);
            BackendWriter.WriteErrorResponse(output, ErrorSeverity.Error, SqlStates.InsufficientPrivilege, "blocked by policy: destructive-ddl");
            BackendWriter.WriteReadyForQuery(output, TransactionStatus.Idle);
        }));
        Assert.True(output.WrittenCount > ServerStream.Length);
    }

    private static long Measure(Action action)
    {
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Returns a checksum of what it saw; asserting inside the loop would allocate in xUnit itself.</summary>
    private static int ParseClientStream(ReadOnlySequence<byte> buffer, MessageBuffer scratch)
    {
        var seen = 0;
        while (PgFrameReader.TryRead(buffer, PgLimits.DefaultMaxMessageLength, out var frame, out var consumed, out _) == PgFrameStatus.Complete)
        {
            var body = scratch.GetBody(frame);
            switch (frame.FrontendType)
            {
                case FrontendMessageType.Parse:
                    seen += ParseMessage.Parse(body).ParameterTypes.Count;
                    break;
                case FrontendMessageType.Bind:
                    var bind = BindMessage.Parse(body);
                    foreach (var value in bind.Parameters)
                    {
                        seen += value.Length;
                    }

                    seen += (int)bind.ResultFormats.GetFormat(1) + 10;
                    break;
                case FrontendMessageType.Describe:
                    seen += DescribeMessage.Parse(body).Target == DescribeTarget.Portal ? 100 : 0;
                    break;
                case FrontendMessageType.Execute:
                    seen += ExecuteMessage.Parse(body).MaxRows + 1000;
                    break;
                case FrontendMessageType.Sync:
                    EmptyMessage.Parse(body, "Sync");
                    seen += 10000;
                    break;
            }

            buffer = buffer.Slice(consumed);
        }

        return seen;
    }

    private static void RelayServerStream(ReadOnlySequence<byte> buffer, MessageBuffer scratch, DataRowRewriter rewriter, IBufferWriter<byte> output)
    {
        while (PgFrameReader.TryRead(buffer, PgLimits.DefaultMaxMessageLength, out var frame, out var consumed, out _) == PgFrameStatus.Complete)
        {
            var body = scratch.GetBody(frame);
            switch (frame.BackendType)
            {
                case BackendMessageType.RowDescription:
                    foreach (var field in RowDescriptionMessage.Parse(body))
                    {
                        Assert.False(field.Name.IsEmpty);
                    }

                    output.Write(frame.Message.FirstSpan);
                    break;
                case BackendMessageType.DataRow:
                    rewriter.Reset();
                    rewriter.Replace(1, "************1111"u8);
                    rewriter.WriteTo(output, DataRowMessage.Parse(body));
                    break;
                case BackendMessageType.CommandComplete:
                    Assert.True(CommandCompleteMessage.Parse(body).TryGetRowCount(out _));
                    output.Write(frame.Message.FirstSpan);
                    break;
                default:
                    output.Write(frame.Message.FirstSpan);
                    break;
            }

            buffer = buffer.Slice(consumed);
        }
    }
}
