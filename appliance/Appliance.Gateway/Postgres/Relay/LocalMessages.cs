using System.Buffers;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>Messages the gateway answers itself, built once per refusal (a cold path).</summary>
internal static class LocalMessages
{
    public static byte[] Error(string sqlState, string message, string? detail = null, string? hint = null)
    {
        var output = new ArrayBufferWriter<byte>(256);
        BackendWriter.WriteErrorResponse(output, ErrorSeverity.Error, sqlState, message, detail, hint);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Notice(string message, string? hint = null)
    {
        var output = new ArrayBufferWriter<byte>(256);
        BackendWriter.WriteNoticeResponse(output, ErrorSeverity.Notice, "00000", message, hint: hint);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Fatal(string sqlState, string message, string? detail = null)
    {
        var output = new ArrayBufferWriter<byte>(256);
        BackendWriter.WriteErrorResponse(output, ErrorSeverity.Fatal, sqlState, message, detail);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The Execute sent upstream in place of a refused message: no portal has this name, so the upstream fails it.</summary>
    public static readonly byte[] FailingExecute = BuildFailingExecute();

    public const string FailingPortalName = "appliance gateway: statement refused";

    /// <summary>
    /// The Query sent upstream in place of a refused one: it fails in parse analysis, before it
    /// reads or writes anything, and its text says why in the upstream's log.
    /// </summary>
    public static readonly byte[] FailingQuery = BuildFailingQuery();

    private static byte[] BuildFailingQuery()
    {
        var output = new ArrayBufferWriter<byte>(96);
        FrontendWriter.WriteQuery(output, "SELECT 'appliance gateway: statement refused'::int"u8);
        return output.WrittenSpan.ToArray();
    }

    public static bool IsFatal(ReadOnlySpan<byte> errorBody)
    {
        var error = ErrorOrNoticeMessage.Parse(errorBody);
        var severity = error.SeverityNonLocalized.IsEmpty ? error.Severity : error.SeverityNonLocalized;
        return severity.SequenceEqual("FATAL"u8) || severity.SequenceEqual("PANIC"u8);
    }

    private static byte[] BuildFailingExecute()
    {
        var output = new ArrayBufferWriter<byte>(64);
        FrontendWriter.WriteExecute(output, FailingPortalName, 0);
        return output.WrittenSpan.ToArray();
    }
}
