using System.Text;
using System.Text.Json;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Interactions;
using Appliance.Chatops.Operations;
using Appliance.Chatops.Security;
using Appliance.Chatops.Slack.Inbound;
using Appliance.Chatops.Slack.Signing;
using Microsoft.AspNetCore.WebUtilities;

namespace Appliance.Chatops.Slack.Http;

/// <summary>
/// HTTP mode: Slack posts slash commands and interactions here. The raw body is read and its
/// signature verified before anything is parsed; a request that fails any check gets 401
/// and causes nothing else.
/// </summary>
internal static partial class SlackHttpApi
{
    public const string CommandsPath = "/slack/commands";
    public const string InteractionsPath = "/slack/interactions";

    public static IEndpointRouteBuilder MapSlackHttpApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(CommandsPath, CommandAsync);
        endpoints.MapPost(InteractionsPath, InteractionAsync);
        return endpoints;
    }

    private static async Task<IResult> CommandAsync(
        HttpContext context, SlackRequestVerifier verifier, GatewayClient gateway, SlashCommandProcessor processor, ILoggerFactory loggers)
    {
        var (refusal, form) = await ReadVerifiedFormAsync(context, verifier, gateway, loggers);
        if (refusal is not null)
        {
            return refusal;
        }

        if (SlashCommand.FromForm(form!) is not { } command)
        {
            return TypedResults.BadRequest();
        }

        return TypedResults.Json(await processor.AcknowledgeAsync(command));
    }

    private static async Task<IResult> InteractionAsync(
        HttpContext context, SlackRequestVerifier verifier, GatewayClient gateway, InteractionProcessor processor, ILoggerFactory loggers)
    {
        var (refusal, form) = await ReadVerifiedFormAsync(context, verifier, gateway, loggers);
        if (refusal is not null)
        {
            return refusal;
        }

        // Interactivity posts one form field, payload, holding the JSON.
        if (!form!.TryGetValue("payload", out var payloadText))
        {
            return TypedResults.BadRequest();
        }

        JsonElement payload;
        try
        {
            using var document = JsonDocument.Parse(payloadText.ToString());
            payload = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return TypedResults.BadRequest();
        }

        var ack = await processor.AcknowledgeAsync(payload);
        return ack is null ? TypedResults.Ok() : TypedResults.Json(ack);
    }

    private static async Task<(IResult? Refusal, Dictionary<string, Microsoft.Extensions.Primitives.StringValues>? Form)> ReadVerifiedFormAsync(
        HttpContext context, SlackRequestVerifier verifier, GatewayClient gateway, ILoggerFactory loggers)
    {
        var body = await RawBody.ReadAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            return (TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge), null);
        }

        var check = verifier.Verify(
            context.Request.Headers[SlackRequestVerifier.TimestampHeader],
            context.Request.Headers[SlackRequestVerifier.SignatureHeader],
            body,
            out var accepted);
        if (check == SignatureCheck.Valid)
        {
            switch (await ClaimAsync(gateway, accepted!, context.RequestAborted))
            {
                case null:
                    return (TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable), null);
                case false:
                    check = SignatureCheck.Replayed;
                    break;
            }
        }

        if (check != SignatureCheck.Valid)
        {
            Log.Refused(loggers.CreateLogger(typeof(SlackHttpApi).FullName!), context.Request.Path, check);
            return (check == SignatureCheck.NotConfigured ? TypedResults.NotFound() : TypedResults.Unauthorized(), null);
        }

        return (null, QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)));
    }

    /// <summary>
    /// A request is accepted once across restarts and replicas too: its signature is claimed in
    /// the gateway's store, as chatops keeps nothing of its own. Kept in memory only, a request
    /// signed less than five minutes before ran again at a restarted or second chatops (probe
    /// GC1: a replayed /hoop extend added its 30 minutes twice). Null when the gateway cannot
    /// take the claim: the request is refused (503), Slack shows the failure, the user tries again.
    /// </summary>
    private static async Task<bool?> ClaimAsync(GatewayClient gateway, string signature, CancellationToken ct)
    {
        try
        {
            return await gateway.TryClaimAsync(ClaimKey(signature), ct);
        }
        catch (Exception e) when (e is HttpRequestException or GatewayException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The claim of a Slack request: its signature (64 hex digits).</summary>
    public static string ClaimKey(string signature) => "slack-request:" + signature["v0=".Length..];

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Refused a Slack request to {Path}: signature {Check}")]
        public static partial void Refused(ILogger logger, PathString path, SignatureCheck check);
    }
}
