using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// A request the framework could not bind (a query parameter that is not a number or a date, a
/// body that is not JSON) answers 400 with what was wrong, like every other refusal, instead of
/// a bare 400. Route handlers throw for these (<see cref="RouteHandlerOptions.ThrowOnBadRequest"/>)
/// so the message reaches this handler, which says it in the API's words: the framework's own
/// names the .NET parameter type (<c>Nullable&lt;int&gt; limit</c>) and the JSON reader's state.
/// </summary>
internal sealed partial class BadRequestHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        var detail = Describe(bad, httpContext.Request.Query);
        var title = detail.EndsWith(GivenTwice, StringComparison.Ordinal) ? "Repeated filter" : "Bad request";
        await Problems.Write(httpContext, bad.StatusCode, "bad-request", title, detail);
        return true;
    }

    internal static string Describe(BadHttpRequestException bad, IQueryCollection? query = null)
    {
        if (bad.InnerException is JsonException json)
        {
            return json.Path is { Length: > 1 } path
                ? $"The request body is not valid JSON for this request (at {path})."
                : "The request body is not valid JSON for this request.";
        }

        if (BindFailure().Match(bad.Message) is not { Success: true } failed)
        {
            return bad.Message;
        }

        var name = failed.Groups["name"].Value;

        // Given twice, the framework joins the values with a comma and quotes a value nobody sent (probe AL5).
        return query is not null && query.TryGetValue(name, out var values) && values.Count > 1
            ? $"{name}={GivenTwice}"
            : $"The query parameter {name} cannot be read from \"{failed.Groups["value"].Value}\".";
    }

    /// <summary>As the sessions API says it of the filters it reads itself (probe AT6: another title for the same mistake).</summary>
    private const string GivenTwice = " is given more than once; give each filter once.";

    [GeneratedRegex("""^Failed to bind parameter "(?:[^"]* )?(?<name>[A-Za-z0-9_]+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex BindFailure();
}
