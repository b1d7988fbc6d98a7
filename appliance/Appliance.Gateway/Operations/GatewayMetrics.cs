using Prometheus;

namespace Appliance.Gateway.Operations;

/// <summary>The gateway's Prometheus series, served on <c>/metrics</c> next to the HTTP request metrics.</summary>
internal static class GatewayMetrics
{
    public static readonly Counter RequestEvents = Metrics.CreateCounter(
        "appliance_request_events_total", "Access request and grant state changes, by event type.", "type");

    public static readonly Gauge ActiveGrants = Metrics.CreateGauge(
        "appliance_grants_active", "Grants active in the store, as last counted by this process.");

    public static readonly Counter WebhookDeliveries = Metrics.CreateCounter(
        "appliance_webhook_deliveries_total", "Webhook delivery attempts, by outcome (delivered, retried, failed).", "outcome");

    public static readonly Histogram ExpiryLateness = Metrics.CreateHistogram(
        "appliance_grant_expiry_lateness_seconds", "How long after expiresAt a grant was ended.",
        new HistogramConfiguration { Buckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30] });

    public static readonly Counter RecordedStatements = Metrics.CreateCounter(
        "appliance_recorded_statements_total", "Statements written to the audit log.");

    public static readonly Counter AuthFailures = Metrics.CreateCounter(
        "appliance_auth_failures_total", "Refused authentications, by surface (api, postgres).", "surface");
}
