using Microsoft.AspNetCore.Diagnostics;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// A request the framework could not bind (a query parameter that is not a number or a date, a
/// body that is not JSON) answers 400 with what was wrong, like every other refusal, instead of
/// a bare 400. Route handlers throw for these (<see cref="RouteHandlerOptions.ThrowOnBadRequest"/>)
/// so the message reaches this handler.
/// </summary>
internal sealed class BadRequestHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        await Problems.Write(httpContext, bad.StatusCode, "bad-request", "Bad request", bad.Message);
        return true;
    }
}
