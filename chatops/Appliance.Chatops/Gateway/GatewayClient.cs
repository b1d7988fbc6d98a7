using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Chatops.Configuration;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Gateway;

/// <summary>
/// The gateway's REST API as chatops uses it: with the chatops service token, acting for the
/// Slack user it verified (<c>X-Appliance-On-Behalf-Of</c>), so that user's permissions apply.
/// </summary>
internal sealed partial class GatewayClient
{
    public const string OnBehalfOfHeader = "X-Appliance-On-Behalf-Of";

    private readonly HttpClient _http;
    private readonly ILogger<GatewayClient> _logger;

    public GatewayClient(HttpClient http, IOptions<ChatopsOptions> options, ILogger<GatewayClient> logger)
    {
        _http = http;
        _logger = logger;
        _http.BaseAddress = options.Value.ApplianceBaseUri;
        if (options.Value.ChatopsToken is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    internal static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public Task<GatewayResult<AccessRequest>> CreateRequestAsync(string onBehalfOf, NewRequest request, CancellationToken ct) =>
        SendAsync<AccessRequest>(HttpMethod.Post, "api/requests", onBehalfOf, request, ct);

    public Task<GatewayResult<AccessRequest>> GetRequestAsync(string onBehalfOf, string id, CancellationToken ct) =>
        SendAsync<AccessRequest>(HttpMethod.Get, $"api/requests/{Uri.EscapeDataString(id)}", onBehalfOf, null, ct);

    public Task<GatewayResult<List<AccessRequest>>> ListRequestsAsync(string onBehalfOf, string user, CancellationToken ct) =>
        SendAsync<List<AccessRequest>>(HttpMethod.Get, $"api/requests?user={Uri.EscapeDataString(user)}", onBehalfOf, null, ct);

    /// <summary>Pending requests the acting user can see: their own and those they may approve.</summary>
    public Task<GatewayResult<List<AccessRequest>>> ListPendingAsync(string onBehalfOf, CancellationToken ct) =>
        SendAsync<List<AccessRequest>>(HttpMethod.Get, "api/requests?status=pending", onBehalfOf, null, ct);

    public Task<GatewayResult<List<AccessRequest>>> ListActiveGrantsAsync(string onBehalfOf, CancellationToken ct) =>
        SendAsync<List<AccessRequest>>(HttpMethod.Get, "api/grants?status=active", onBehalfOf, null, ct);

    public Task<GatewayResult<List<GatewayConnection>>> ListConnectionsAsync(string onBehalfOf, CancellationToken ct) =>
        SendAsync<List<GatewayConnection>>(HttpMethod.Get, "api/connections", onBehalfOf, null, ct);

    public Task<GatewayResult<AccessRequest>> ApproveAsync(string onBehalfOf, string id, string? comment, CancellationToken ct) =>
        ActAsync(onBehalfOf, id, "approve", new { comment }, ct);

    public Task<GatewayResult<AccessRequest>> DenyAsync(string onBehalfOf, string id, string? reason, CancellationToken ct) =>
        ActAsync(onBehalfOf, id, "deny", new { reason }, ct);

    public Task<GatewayResult<AccessRequest>> CancelAsync(string onBehalfOf, string id, CancellationToken ct) =>
        ActAsync(onBehalfOf, id, "cancel", new { }, ct);

    public Task<GatewayResult<AccessRequest>> RevokeAsync(string onBehalfOf, string id, string? reason, CancellationToken ct) =>
        ActAsync(onBehalfOf, id, "revoke", new { reason }, ct);

    public Task<GatewayResult<AccessRequest>> ExtendAsync(string onBehalfOf, string id, string duration, string? reason, CancellationToken ct) =>
        ActAsync(onBehalfOf, id, "extend", new { duration, reason }, ct);

    public Task<GatewayResult<GrantCredentials>> CreateCredentialsAsync(string onBehalfOf, string id, CancellationToken ct) =>
        SendAsync<GrantCredentials>(HttpMethod.Post, $"api/grants/{Uri.EscapeDataString(id)}/credentials", onBehalfOf, new { }, ct);

    private Task<GatewayResult<AccessRequest>> ActAsync(string onBehalfOf, string id, string action, object body, CancellationToken ct) =>
        SendAsync<AccessRequest>(HttpMethod.Post, $"api/requests/{Uri.EscapeDataString(id)}/{action}", onBehalfOf, body, ct);

    private async Task<GatewayResult<T>> SendAsync<T>(HttpMethod method, string path, string? onBehalfOf, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (onBehalfOf is not null && !System.Text.Ascii.IsValid(onBehalfOf))
        {
            // A header carries ASCII only: the call could not be made, and the reply said the appliance
            // could not be reached (probe GC3). The appliance's users are ASCII addresses: nobody it knows.
            return GatewayResult<T>.Refused(new GatewayProblem(
                403, "Unknown user", $"{onBehalfOf} is not an address the appliance takes: its users' emails are ASCII.", "unknown-user"));
        }

        if (onBehalfOf is not null)
        {
            request.Headers.Add(OnBehalfOfHeader, onBehalfOf);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        using var response = await _http.SendAsync(request, ct);
        if (response.IsSuccessStatusCode)
        {
            try
            {
                var value = await response.Content.ReadFromJsonAsync<T>(Json, ct);
                if (value is not null)
                {
                    return GatewayResult<T>.Success(value);
                }
            }
            catch (JsonException ex)
            {
                throw new GatewayException($"{method.Method} {path} answered {(int)response.StatusCode} with a body that is not what docs/api.md says: {ex.Message}");
            }

            throw new GatewayException($"{method.Method} {path} answered {(int)response.StatusCode} without a body.");
        }

        var problem = await ReadProblemAsync(response, ct);
        Log.Refused(_logger, method.Method, path, problem.Status, problem.RuleName ?? "-", problem.Message);
        return GatewayResult<T>.Refused(problem);
    }

    private static async Task<GatewayProblem> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        try
        {
            var body = await response.Content.ReadFromJsonAsync<ProblemBody>(Json, ct);
            if (body is not null)
            {
                return new GatewayProblem(status, body.Title, body.Detail, body.Rule);
            }
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's error page, say): the status alone must do.
        }
        catch (NotSupportedException)
        {
            // No or an unexpected content type: same.
        }

        return new GatewayProblem(status, response.StatusCode == HttpStatusCode.NotFound ? "Not found" : response.ReasonPhrase, null, null);
    }

    private sealed record ProblemBody(string? Title, string? Detail, string? Rule);

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Gateway refused {Method} {Path}: {Status} rule {Rule}: {Detail}")]
        public static partial void Refused(ILogger logger, string method, string path, int status, string rule, string detail);
    }
}

/// <summary>The gateway answered in a way its contract does not allow.</summary>
internal sealed class GatewayException(string message) : Exception(message);
