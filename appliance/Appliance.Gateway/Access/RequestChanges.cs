namespace Appliance.Gateway.Access;

/// <summary>
/// In-process notifications of request changes, whether made here or observed in the store from
/// another gateway process. The expiry scheduler, the live PostgreSQL sessions and statements
/// held for review listen here.
/// </summary>
internal sealed partial class RequestChanges(ILogger<RequestChanges> logger)
{
    public event Action<AccessRequest>? Changed;

    public void Publish(AccessRequest request)
    {
        var handlers = Changed;
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Action<AccessRequest>>())
        {
            try
            {
                handler(request);
            }
            catch (Exception ex)
            {
                // One listener's failure must not stop the others (a session cut must still happen).
                Log.ListenerFailed(logger, request.Id, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Error, "A listener failed while handling a change of request {RequestId}")]
        public static partial void ListenerFailed(ILogger logger, string requestId, Exception exception);
    }
}
