using Appliance.Policy.Access;
using Microsoft.AspNetCore.Mvc;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// RFC 7807 problem details with a <c>rule</c> member that names what refused, so chat and
/// scripts can react to the rule rather than parse prose.
/// </summary>
internal static class Problems
{
    public static IResult Result(int status, string rule, string title, string detail) =>
        TypedResults.Problem(Details(status, rule, title, detail));

    public static ProblemDetails Details(int status, string rule, string title, string detail) => new()
    {
        Status = status,
        Title = title,
        Detail = detail,
        Type = $"https://appliance.dev/problems/{rule}",
        Extensions = { ["rule"] = rule },
    };

    public static Task Write(HttpContext context, int status, string rule, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(
            Details(status, rule, title, detail), (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    public static IResult From(AccessRule rule, string message) => rule switch
    {
        AccessRule.UnknownConnection => Result(404, "unknown-connection", "Unknown connection", message),
        AccessRule.NotFound => Result(404, "not-found", "Not found", message),
        AccessRule.UnknownUser => Result(403, "unknown-user", "Unknown user", message),
        AccessRule.NotRequester => Result(403, "not-requester", "Not a requester", message),
        AccessRule.NotApprover => Result(403, "not-approver", "Not an approver", message),
        AccessRule.SelfApproval => Result(403, "self-approval", "Self-approval is not allowed", message),
        AccessRule.Forbidden => Result(403, "forbidden", "Forbidden", message),
        AccessRule.AlreadyApproved => Result(409, "already-approved", "Already approved", message),
        AccessRule.InvalidState => Result(409, "invalid-state", "Not possible in this state", message),
        AccessRule.ReasonRequired => Result(400, "reason-required", "A reason is required", message),
        AccessRule.ReasonTooLong => Result(400, "reason-too-long", "The reason is too long", message),
        AccessRule.BadDuration => Result(400, "bad-duration", "Not a duration", message),
        AccessRule.MaxDuration => Result(400, "max-duration", "Longer than the maximum duration", message),
        _ => Result(400, "bad-request", "Bad request", message),
    };
}
