using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Chatops.Configuration;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Slack.Web;

/// <summary>
/// The Slack Web API (https://api.slack.com/web): <c>POST {SLACK_API_URL}{method}</c> with the
/// bot token. Slack answers HTTP 200 with <c>ok:false</c> for errors and HTTP 429 with
/// <c>Retry-After</c> (seconds) when rate limited; both are handled here, retries bounded.
/// </summary>
internal sealed partial class SlackApiClient
{
    /// <summary>One call plus at most three retries.</summary>
    public const int MaxAttempts = 4;

    /// <summary>Never sleep longer than this for one Retry-After: the caller is usually a person waiting.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly ChatopsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SlackApiClient> _logger;

    public SlackApiClient(HttpClient http, IOptions<ChatopsOptions> options, TimeProvider time, ILogger<SlackApiClient> logger)
    {
        _http = http;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _http.BaseAddress = _options.SlackApiBaseUri;
    }

    /// <summary>
    /// Calls <paramref name="method"/> with a JSON body and returns Slack's answer when
    /// <c>ok</c> is true; throws <see cref="SlackApiException"/> otherwise.
    /// </summary>
    public Task<JsonElement> CallAsync(string method, JsonObject args, CancellationToken ct) =>
        CallAsync(method, () => new StringContent(args.ToJsonString(), Encoding.UTF8, "application/json"), _options.SlackBotToken, ct);

    /// <summary>The same with a form body: <c>users.*</c> methods do not read JSON bodies.</summary>
    public Task<JsonElement> CallFormAsync(string method, IReadOnlyDictionary<string, string> args, CancellationToken ct) =>
        CallAsync(method, () => new FormUrlEncodedContent(args), _options.SlackBotToken, ct);

    /// <summary><c>apps.connections.open</c>: authenticated with the app-level token, not the bot token.</summary>
    public async Task<Uri> OpenSocketConnectionAsync(CancellationToken ct)
    {
        var result = await CallAsync("apps.connections.open", () => new FormUrlEncodedContent([]), _options.SlackAppToken, ct);
        return new Uri(result.GetProperty("url").GetString() ?? throw new SlackApiException("apps.connections.open", "no_url"));
    }

    /// <summary>
    /// A reply through a <c>response_url</c> (slash commands, interactions): no token, valid
    /// for 30 minutes and 5 uses.
    /// </summary>
    public async Task PostToResponseUrlAsync(Uri responseUrl, JsonObject message, CancellationToken ct)
    {
        using var content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(responseUrl, content, ct);
        if (!response.IsSuccessStatusCode)
        {
            Log.ResponseUrlFailed(_logger, (int)response.StatusCode);
        }
    }

    private async Task<JsonElement> CallAsync(string method, Func<HttpContent> content, string? token, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan wait;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, method) { Content = content() };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? string.Empty);
                using var response = await _http.SendAsync(request, ct);

                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    wait = RetryAfter(response);
                    Log.RateLimited(_logger, method, wait.TotalSeconds, attempt);
                    if (attempt >= MaxAttempts)
                    {
                        throw Failed(method, "ratelimited");
                    }
                }
                else if ((int)response.StatusCode >= 500)
                {
                    wait = Backoff(attempt);
                    Log.ServerError(_logger, method, (int)response.StatusCode, attempt);
                    if (attempt >= MaxAttempts)
                    {
                        throw Failed(method, $"http_{(int)response.StatusCode}");
                    }
                }
                else
                {
                    return await ReadAsync(method, response, ct);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                // Unreachable, or no answer within the client's timeout.
                Log.TransportError(_logger, ex, method, attempt);
                if (attempt >= MaxAttempts)
                {
                    throw Failed(method, "unreachable");
                }

                wait = Backoff(attempt);
            }

            await Task.Delay(wait, _time, ct);
        }
    }

    private async Task<JsonElement> ReadAsync(string method, HttpResponseMessage response, CancellationToken ct)
    {
        JsonElement root;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw Failed(method, $"http_{(int)response.StatusCode}_not_json");
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
        {
            return root;
        }

        var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e.GetString() : null;
        throw Failed(method, error ?? "unknown_error");
    }

    private SlackApiException Failed(string method, string error)
    {
        Log.CallFailed(_logger, method, error);
        return new SlackApiException(method, error);
    }

    private TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : TimeSpan.FromSeconds(1));
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(250 * (1 << (attempt - 1)));

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Slack {Method} failed: {Error}")]
        public static partial void CallFailed(ILogger logger, string method, string error);

        [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Slack {Method} rate limited; retrying after {Seconds}s (attempt {Attempt})")]
        public static partial void RateLimited(ILogger logger, string method, double seconds, int attempt);

        [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Slack {Method} answered HTTP {Status} (attempt {Attempt})")]
        public static partial void ServerError(ILogger logger, string method, int status, int attempt);

        [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Slack {Method} could not be reached (attempt {Attempt})")]
        public static partial void TransportError(ILogger logger, Exception exception, string method, int attempt);

        [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "A Slack response_url answered HTTP {Status}")]
        public static partial void ResponseUrlFailed(ILogger logger, int status);
    }
}
