namespace Appliance.Gateway.Hosting;

/// <summary>
/// Problems the framework writes itself (an unknown route, a method the route does not take)
/// carry a <c>rule</c> like every refusal of ours, so clients can branch on it alone.
/// </summary>
internal static class ProblemRules
{
    public static void AddMissingRule(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("rule"))
        {
            return;
        }

        problem.Extensions["rule"] = problem.Status switch
        {
            StatusCodes.Status404NotFound => "not-found",
            StatusCodes.Status405MethodNotAllowed => "method-not-allowed",
            StatusCodes.Status401Unauthorized => "unauthorized",
            StatusCodes.Status403Forbidden => "forbidden",
            StatusCodes.Status400BadRequest => "bad-request",
            StatusCodes.Status413PayloadTooLarge => "body-too-large",
            _ => "error",
        };
    }
}
