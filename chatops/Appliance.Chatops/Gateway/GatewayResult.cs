using System.Diagnostics.CodeAnalysis;

namespace Appliance.Chatops.Gateway;

/// <summary>Either the gateway's answer or its refusal; transport failures throw instead.</summary>
internal sealed record GatewayResult<T>(T? Value, GatewayProblem? Problem)
{
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Problem))]
    public bool IsSuccess => Problem is null;

    public static GatewayResult<T> Success(T value) => new(value, null);

    public static GatewayResult<T> Refused(GatewayProblem problem) => new(default, problem);
}
