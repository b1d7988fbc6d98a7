using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>
/// FunctionCall 'F': the legacy fast-path interface. Only recognised: it runs a function with
/// no SQL text for guardrails to inspect, so a policy-enforcing gateway refuses it.
/// </summary>
internal readonly ref struct FunctionCallMessage
{
    private FunctionCallMessage(uint functionOid) => FunctionOid = functionOid;

    public uint FunctionOid { get; }

    public static FunctionCallMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "FunctionCall");
        return new FunctionCallMessage(reader.ReadUInt32());
    }
}
