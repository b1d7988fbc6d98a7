using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// A request the store could not take (a full disk, the store's server down) answers 503 with
/// what failed, as /healthz does, instead of a bare 500 (probe EL4). Nothing of it was kept: the
/// write and its event are one transaction.
/// </summary>
internal sealed partial class StoreFailureHandler(ILogger<StoreFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not DbException store || httpContext.Response.HasStarted)
        {
            return false;
        }

        Log.StoreFailed(logger, httpContext.Request.Method, httpContext.Request.Path, store);
        await Problems.Write(httpContext, StatusCodes.Status503ServiceUnavailable, "store-unavailable", "Store unavailable",
            "The gateway's store could not take this request just now (see the gateway's log); nothing of it was kept. Try again when /healthz answers 200.");
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(1010, LogLevel.Error, "The store failed {Method} {Path}")]
        public static partial void StoreFailed(ILogger logger, string method, PathString path, Exception exception);
    }
}
