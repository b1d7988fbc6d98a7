using Appliance.Wire.Backend;
using Appliance.Wire.Copy;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Fuzz;

/// <summary>
/// Every body parser with a valid seed body from the writers. Each target parses and then
/// walks everything the view exposes, so enumerators are fuzzed too.
/// </summary>
internal static class ParserTargets
{
    public delegate int Parser(ReadOnlySpan<byte> body);

    public static readonly IReadOnlyDictionary<string, (Parser Parse, byte[][] Seeds)> All = new Dictionary<string, (Parser, byte[][])>
    {
        ["Query"] = (b => QueryMessage.Parse(b).Sql.Length, [Seed(o => FrontendWriter.WriteQuery(o, "select 1; select 2"))]),
        ["Parse"] = (b => ParseMessage.Parse(b).ParameterTypes.Count, [Seed(o => FrontendWriter.WriteParse(o, "s", "select $1", [23, 25]))]),
        ["Bind"] = (WalkBind, [
            Seed(o => FrontendWriter.WriteBind(o, "p", "s", [PgFormat.Binary], ["ab"u8.ToArray(), null], [PgFormat.Text, PgFormat.Binary])),
            Seed(o => FrontendWriter.WriteBind(o, "", "", [], [], [])),
        ]),
        ["Describe"] = (b => (int)DescribeMessage.Parse(b).Target, [Seed(o => FrontendWriter.WriteDescribe(o, DescribeTarget.Portal, "p"))]),
        ["Close"] = (b => CloseMessage.Parse(b).Name.Length, [Seed(o => FrontendWriter.WriteClose(o, DescribeTarget.Statement, "s"))]),
        ["Execute"] = (b => ExecuteMessage.Parse(b).MaxRows, [Seed(o => FrontendWriter.WriteExecute(o, "p", 10))]),
        ["Sync"] = (b => { EmptyMessage.Parse(b, "Sync"); return 0; }, [[]]),
        ["PasswordMessage"] = (b => PasswordMessage.Parse(b).Password.Length, [Seed(o => FrontendWriter.WritePasswordMessage(o, "token"))]),
        ["SASLInitialResponse"] = (b => SaslInitialResponseMessage.Parse(b).Data.Length, [Seed(o => FrontendWriter.WriteSaslInitialResponse(o, "SCRAM-SHA-256", "n,,n=,r=x"u8))]),
        ["FunctionCall"] = (b => (int)FunctionCallMessage.Parse(b).FunctionOid, [[0, 0, 4, 210, 0, 0]]),
        ["CopyFail"] = (b => CopyFailMessage.Parse(b).Reason.Length, [Seed(o => CopyWriter.WriteCopyFail(o, "no"))]),
        ["CopyResponse"] = (b => WalkFormats(CopyResponseMessage.Parse(b).ColumnFormats), [Seed(o => CopyWriter.WriteCopyResponse(o, BackendMessageType.CopyOutResponse, PgFormat.Text, [PgFormat.Text, PgFormat.Text]))]),
        ["Authentication"] = (WalkAuthentication, [
            Seed(o => BackendWriter.WriteAuthenticationMd5Password(o, [1, 2, 3, 4])),
            Seed(o => BackendWriter.WriteAuthenticationSasl(o, ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"])),
            Seed(BackendWriter.WriteAuthenticationOk),
        ]),

        // SASLContinue's data is free-form to the end of the body, so any prefix past the code is valid.
        ["AuthenticationSaslData"] = (WalkAuthentication, [Seed(o => BackendWriter.WriteAuthenticationSaslContinue(o, "r=a,s=b,i=1"u8))]),
        ["ParameterStatus"] = (b => ParameterStatusMessage.Parse(b).Value.Length, [Seed(o => BackendWriter.WriteParameterStatus(o, "TimeZone", "UTC"))]),
        ["BackendKeyData"] = (b => BackendKeyDataMessage.Parse(b).SecretKey.Length, [Seed(o => BackendWriter.WriteBackendKeyData(o, 1, [1, 2, 3, 4]))]),
        ["ReadyForQuery"] = (b => (int)ReadyForQueryMessage.Parse(b).Status, [Seed(o => BackendWriter.WriteReadyForQuery(o, TransactionStatus.InTransaction))]),
        ["RowDescription"] = (WalkRowDescription, [Seed(o => BackendWriter.WriteRowDescription(o, [RowField.Text("a"), new("b", 1, 2, 23, 4, -1, PgFormat.Binary)]))]),
        ["DataRow"] = (WalkDataRow, [Seed(o => BackendWriter.WriteDataRow(o, ["1", null, "", "abc"]))]),
        ["CommandComplete"] = (b => CommandCompleteMessage.Parse(b).TryGetRowCount(out var rows) ? (int)rows : -1, [
            Seed(o => BackendWriter.WriteCommandComplete(o, "INSERT 0 5")),
            Seed(o => BackendWriter.WriteCommandComplete(o, "SELECT 12")),
        ]),
        ["ErrorOrNotice"] = (WalkError, [Seed(o => BackendWriter.WriteErrorResponse(o, ErrorSeverity.Error, "42501", "m", "d", "h"))]),
        ["ParameterDescription"] = (b => ParameterDescriptionMessage.Parse(b).ParameterTypes.Count, [Seed(o => BackendWriter.WriteParameterDescription(o, [23, 25]))]),
        ["NotificationResponse"] = (b => NotificationResponseMessage.Parse(b).Payload.Length, [[0, 0, 0, 1, (byte)'c', 0, (byte)'p', 0]]),
        ["NegotiateProtocolVersion"] = (WalkNegotiate, [Seed(o => BackendWriter.WriteNegotiateProtocolVersion(o, ProtocolVersion.V30, ["_pq_.x", "_pq_.y"]))]),
    };

    private static byte[] Seed(Action<System.Buffers.IBufferWriter<byte>> write)
    {
        var message = Support.PgBytes.Write(write);
        return message[5..];
    }

    private static int WalkBind(ReadOnlySpan<byte> body)
    {
        var bind = BindMessage.Parse(body);
        var total = WalkFormats(bind.ParameterFormats) + WalkFormats(bind.ResultFormats);
        var index = 0;
        foreach (var value in bind.Parameters)
        {
            total += value.Length + (int)bind.ParameterFormats.GetFormat(index++);
        }

        return total;
    }

    private static int WalkFormats(PgFormatCodes formats)
    {
        var total = 0;
        for (var i = 0; i < formats.Count; i++)
        {
            total += (int)formats[i] + (int)formats.GetFormat(i);
        }

        return total;
    }

    private static int WalkAuthentication(ReadOnlySpan<byte> body)
    {
        var message = AuthenticationMessage.Parse(body);
        var total = message.Data.Length;
        foreach (var mechanism in message.SaslMechanisms)
        {
            total += mechanism.Length;
        }

        return total;
    }

    private static int WalkRowDescription(ReadOnlySpan<byte> body)
    {
        var total = 0;
        foreach (var field in RowDescriptionMessage.Parse(body))
        {
            total += field.Name.Length + (int)field.Format + field.TypeSize;
        }

        return total;
    }

    private static int WalkDataRow(ReadOnlySpan<byte> body)
    {
        var row = DataRowMessage.Parse(body);
        var total = 0;
        foreach (var value in row.Columns)
        {
            total += value.Length;
        }

        // The masking path must cope with any row the parser accepts.
        var rewriter = new DataRowRewriter();
        if (row.ColumnCount > 0)
        {
            rewriter.Replace(row.ColumnCount - 1, "x"u8);
        }

        var output = new System.Buffers.ArrayBufferWriter<byte>();
        rewriter.WriteTo(output, row);
        return total + DataRowMessage.Parse(output.WrittenSpan[5..]).ColumnCount;
    }

    private static int WalkError(ReadOnlySpan<byte> body)
    {
        var error = ErrorOrNoticeMessage.Parse(body);
        var total = error.SqlState.Length + error.Message.Length + error.Hint.Length;
        foreach (var field in error)
        {
            total += field.Value.Length;
        }

        return total;
    }

    private static int WalkNegotiate(ReadOnlySpan<byte> body)
    {
        var total = 0;
        foreach (var option in NegotiateProtocolVersionMessage.Parse(body).UnrecognizedOptions)
        {
            total += option.Length;
        }

        return total;
    }
}
