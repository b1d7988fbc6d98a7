namespace Appliance.Gateway.Events;

/// <summary>Delivery tuning; the defaults suit production, tests shorten the backoff.</summary>
internal sealed class WebhookOptions
{
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromMinutes(5);
    public int MaxAttempts { get; set; } = 12;
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int BatchSize { get; set; } = 50;

    public TimeSpan BackoffAfter(int attempts)
    {
        var exponent = Math.Min(attempts - 1, 20);
        var delay = BackoffBase * Math.Pow(2, Math.Max(exponent, 0));
        return delay > BackoffMax ? BackoffMax : delay;
    }
}
