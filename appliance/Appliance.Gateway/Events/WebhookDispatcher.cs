using System.Net.Http.Headers;
using System.Text;
using Appliance.Gateway.Operations;
using Appliance.Gateway.Store;
using Dapper;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Events;

/// <summary>
/// Delivers the outbox: each pending delivery is leased (so several gateway processes never send
/// the same one at the same time), POSTed signed, and marked delivered, or rescheduled with
/// exponential backoff until it has failed <see cref="WebhookOptions.MaxAttempts"/> times. The
/// rows survive restarts; delivery is at least once.
/// </summary>
internal sealed partial class WebhookDispatcher(
    StoreDatabase database,
    IWebhookTargets targets,
    OutboxSignal signal,
    IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : Hosting.StoppableService
{
    public const string HttpClientName = "webhooks";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = settings.PollInterval;
            try
            {
                var sent = await DeliverDueAsync(stoppingToken);
                if (sent == settings.BatchSize)
                {
                    continue;
                }

                wait = await UntilNextDueAsync(settings.PollInterval, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The store is unreachable, say: try again after a poll interval. An exception that
                // left this method would end the service, and with it the host.
                Log.DispatchFailed(logger, ex);
            }

            try
            {
                await signal.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>How long to sleep: until the earliest retry is due, at most <paramref name="max"/>.</summary>
    private async Task<TimeSpan> UntilNextDueAsync(TimeSpan max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<long?>("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND lease_until IS NULL");
        if (next is null)
        {
            return max;
        }

        var wait = StoreJson.FromUnixMs(next.Value) - time.GetUtcNow();
        return wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : wait < max ? wait : max;
    }

    /// <summary>Leases and sends what is due; returns how many deliveries were attempted.</summary>
    internal async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<Due> due;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            due = (await connection.QueryAsync<Due>(
                "UPDATE deliveries SET lease_until = @leaseUntil " +
                "WHERE (event_id, target) IN (SELECT event_id, target FROM deliveries " +
                "  WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now) " +
                "  ORDER BY event_seq LIMIT @limit) " +
                "AND status = 'pending' AND (lease_until IS NULL OR lease_until < @now) " +
                "RETURNING event_id, event_seq, target, attempts",
                new { now = now.ToUnixMs(), leaseUntil = (now + Lease).ToUnixMs(), limit = (long)options.Value.BatchSize })).ToList();
            if (due.Count == 0)
            {
                return 0;
            }

            var ids = due.Select(d => d.EventId).Distinct().ToArray();
            var events = new Dictionary<string, StoredEvent>();
            foreach (var chunk in ids.Chunk(100))
            {
                var parameters = new DynamicParameters();
                var names = chunk.Select((id, i) => { parameters.Add("id" + i, id); return "@id" + i; });
                foreach (var e in await connection.QueryAsync<StoredEvent>(
                    $"SELECT seq, id, type, occurred_at, data FROM events WHERE id IN ({string.Join(", ", names)})", parameters))
                {
                    events[e.Id] = e;
                }
            }

            foreach (var d in due)
            {
                d.Event = events.GetValueOrDefault(d.EventId);
            }
        }

        // One target's events go out in order; different targets proceed independently. Once a
        // target fails, the rest of its batch waits for that retry instead of each waiting out
        // its own timeout: a receiver that hangs must not hold up every other target's events.
        await Parallel.ForEachAsync(
            due.GroupBy(d => d.Target),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (group, ct) =>
            {
                var ordered = group.OrderBy(d => d.EventSeq).ToList();
                for (var i = 0; i < ordered.Count; i++)
                {
                    if (await SendAsync(ordered[i], ct) is { } retryAt)
                    {
                        await PostponeAsync(ordered.Skip(i + 1), retryAt, ct);
                        break;
                    }
                }
            });
        return due.Count;
    }

    /// <summary>Releases leased deliveries unsent, due again at <paramref name="at"/>; their attempts are not counted.</summary>
    private async Task PostponeAsync(IEnumerable<Due> deliveries, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var rows = deliveries.Select(d => new { d.EventId, d.Target, next = at.ToUnixMs() }).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE deliveries SET lease_until = NULL, next_attempt_at = @next WHERE event_id = @EventId AND target = @Target", rows);
    }

    /// <summary>Sends one delivery and records the outcome; returns when it will be retried, or null if it will not be.</summary>
    private async Task<DateTimeOffset?> SendAsync(Due delivery, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var secret = targets.SecretFor(delivery.Target);
        string? error = null;
        if (delivery.Event is null)
        {
            error = "the event no longer exists";
        }
        else if (secret is null)
        {
            error = "the webhook is no longer configured";
        }
        else
        {
            error = await PostAsync(delivery.Target, secret, delivery.Event, settings.Timeout, cancellationToken);
        }

        var attempts = delivery.Attempts + 1;
        await using var connection = await database.OpenAsync(cancellationToken);
        if (error is null)
        {
            await connection.ExecuteAsync(
                "UPDATE deliveries SET status = 'delivered', attempts = @attempts, lease_until = NULL, last_error = NULL " +
                "WHERE event_id = @EventId AND target = @Target",
                new { attempts = (long)attempts, delivery.EventId, delivery.Target });
            GatewayMetrics.WebhookDeliveries.WithLabels("delivered").Inc();
            Log.Delivered(logger, delivery.Event!.Type, delivery.EventId, Redacted(delivery.Target), attempts);
            return null;
        }

        var final = attempts >= settings.MaxAttempts || delivery.Event is null || secret is null;
        var next = time.GetUtcNow() + settings.BackoffAfter(attempts);
        await connection.ExecuteAsync(
            "UPDATE deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next, lease_until = NULL, last_error = @error " +
            "WHERE event_id = @EventId AND target = @Target",
            new
            {
                status = final ? "failed" : "pending",
                attempts = (long)attempts,
                next = next.ToUnixMs(),
                error,
                delivery.EventId,
                delivery.Target,
            });
        if (final)
        {
            GatewayMetrics.WebhookDeliveries.WithLabels("failed").Inc();
            Log.GaveUp(logger, delivery.EventId, Redacted(delivery.Target), attempts, error);
            return null;
        }

        GatewayMetrics.WebhookDeliveries.WithLabels("retried").Inc();
        Log.WillRetry(logger, delivery.EventId, Redacted(delivery.Target), attempts, error);
        return next;
    }

    private async Task<string?> PostAsync(string target, string secret, StoredEvent e, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(
            $$"""{"id":{{Json(e.Id)}},"type":{{Json(e.Type)}},"occurredAt":{{Json(StoreJson.FromUnixMs(e.OccurredAt))}},"data":{{e.Data}}}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(secret, time.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.TryAddWithoutValidation("X-Appliance-Event-Id", e.Id);
        request.Headers.TryAddWithoutValidation("X-Appliance-Event-Type", e.Type);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeoutSource.Token);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (HttpRequestException ex)
        {
            return ex.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0.#} s";
        }
    }

    private static string Json<T>(T value) => StoreJson.Serialize(value);

    /// <summary>
    /// A target as logs may show it: scheme, host, port and path. Webhook URLs often carry a
    /// secret in their query or user info (Slack-style hook URLs); logs and Seq must not.
    /// </summary>
    internal static string Redacted(string target) =>
        Uri.TryCreate(target, UriKind.Absolute, out var uri)
            ? $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}{uri.AbsolutePath}{(uri.Query.Length > 0 ? "?…" : "")}"
            : "(invalid URL)";

    private sealed class Due
    {
        public string EventId { get; set; } = "";
        public long EventSeq { get; set; }
        public string Target { get; set; } = "";
        public int Attempts { get; set; }
        public StoredEvent? Event { get; set; }
    }

    // Not {EventId}: Serilog fills that property with the log entry's own EventId (3001…), which would
    // hide the delivered event's id.
    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Debug, "Delivered {EventType} {WebhookEventId} to {Target} (attempt {Attempt})")]
        public static partial void Delivered(ILogger logger, string eventType, string webhookEventId, string target, int attempt);

        [LoggerMessage(3002, LogLevel.Warning, "Delivery of {WebhookEventId} to {Target} failed (attempt {Attempt}): {Error}; will retry")]
        public static partial void WillRetry(ILogger logger, string webhookEventId, string target, int attempt, string error);

        [LoggerMessage(3003, LogLevel.Error, "Gave up delivering {WebhookEventId} to {Target} after {Attempts} attempts: {Error}")]
        public static partial void GaveUp(ILogger logger, string webhookEventId, string target, int attempts, string error);

        [LoggerMessage(3004, LogLevel.Error, "The webhook dispatcher failed; retrying")]
        public static partial void DispatchFailed(ILogger logger, Exception exception);
    }
}
