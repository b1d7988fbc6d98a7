using System.Text.Json;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Operations;
using Appliance.Chatops.Security;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Events;

/// <summary>
/// <c>POST /gateway/events</c>: the gateway's signed webhook. Delivery is at least once, so
/// each event is claimed by id in the gateway's store (201 first, 409 after): a redelivery is
/// a 200 no-op. A failed handling releases the claim and answers 500, so the retry works.
/// 2xx only after handling.
/// </summary>
internal static partial class EventsApi
{
    public const string Path = "/gateway/events";

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, HandleAsync);
        return endpoints;
    }

    public static string ClaimKey(string eventId) => "event:" + eventId;

    private static async Task<IResult> HandleAsync(
        HttpContext context, IOptions<ChatopsOptions> options, TimeProvider time, GatewayClient gateway, EventRouter router, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(EventsApi).FullName!);
        var ct = context.RequestAborted;
        var body = await RawBody.ReadAsync(context.Request, ct);
        if (body is null)
        {
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var check = WebhookSignature.Verify(options.Value.ChatopsToken, context.Request.Headers[WebhookSignature.Header], body, time.GetUtcNow());
        if (check != SignatureCheck.Valid)
        {
            Log.Refused(logger, check);
            return TypedResults.Unauthorized();
        }

        GatewayEvent? e;
        try
        {
            e = JsonSerializer.Deserialize<GatewayEvent>(body, GatewayClient.Json);
        }
        catch (JsonException)
        {
            e = null;
        }

        if (e is null || string.IsNullOrEmpty(e.Id) || string.IsNullOrEmpty(e.Type))
        {
            return TypedResults.Problem("The event is not {id, type, occurredAt, data}.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (!options.Value.SlackConfigured)
        {
            Log.NoSlack(logger, e.Id, e.Type);
            return TypedResults.Ok();
        }

        var claim = ClaimKey(e.Id);
        if (!await gateway.TryClaimAsync(claim, ct))
        {
            Log.Duplicate(logger, e.Id, e.Type);
            return TypedResults.Ok();
        }

        try
        {
            await router.HandleAsync(e, ct);
            Log.Handled(logger, e.Id, e.Type);
            return TypedResults.Ok();
        }
        catch (Exception ex)
        {
            Log.Failed(logger, ex, e.Id, e.Type);
            await gateway.ReleaseClaimAsync(claim, CancellationToken.None);
            return TypedResults.Problem("Handling the event failed; retry later.", statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 710, Level = LogLevel.Warning, Message = "Refused a gateway event: signature {Check}")]
        public static partial void Refused(ILogger logger, SignatureCheck check);

        [LoggerMessage(EventId = 711, Level = LogLevel.Debug, Message = "Event {GatewayEventId} ({Type}) already handled")]
        public static partial void Duplicate(ILogger logger, string gatewayEventId, string type);

        [LoggerMessage(EventId = 712, Level = LogLevel.Information, Message = "Handled event {GatewayEventId} ({Type})")]
        public static partial void Handled(ILogger logger, string gatewayEventId, string type);

        [LoggerMessage(EventId = 713, Level = LogLevel.Error, Message = "Handling event {GatewayEventId} ({Type}) failed; released for redelivery")]
        public static partial void Failed(ILogger logger, Exception exception, string gatewayEventId, string type);

        [LoggerMessage(EventId = 714, Level = LogLevel.Debug, Message = "Slack is not configured: event {GatewayEventId} ({Type}) ignored")]
        public static partial void NoSlack(ILogger logger, string gatewayEventId, string type);
    }
}
