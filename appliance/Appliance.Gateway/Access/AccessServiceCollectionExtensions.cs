using Appliance.Gateway.Events;
using Appliance.Gateway.Expiry;
using Microsoft.Extensions.Options;
using Quartz;

namespace Appliance.Gateway.Access;

internal static class AccessServiceCollectionExtensions
{
    public static IServiceCollection AddAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<RequestChanges>();
        services.AddSingleton<AccessService>();
        services.AddSingleton<CommandReviews>();
        services.AddHostedService<PolicySweep>();

        // Events: the outbox and its dispatcher.
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<IWebhookTargets, WebhookTargets>();
        services.AddSingleton<EventLog>();
        services.AddOptions<WebhookOptions>().Configure(o =>
        {
            // A value given but unreadable fails the validation below, as an out-of-range one does (probe CA).
            if (!string.IsNullOrWhiteSpace(configuration["APPLIANCE_WEBHOOK_BACKOFF"]))
            {
                o.BackoffBase = TimeSpan.TryParse(configuration["APPLIANCE_WEBHOOK_BACKOFF"], System.Globalization.CultureInfo.InvariantCulture, out var backoff)
                    ? backoff : TimeSpan.Zero;
            }

            if (!string.IsNullOrWhiteSpace(configuration["APPLIANCE_WEBHOOK_MAX_ATTEMPTS"]))
            {
                o.MaxAttempts = int.TryParse(configuration["APPLIANCE_WEBHOOK_MAX_ATTEMPTS"], System.Globalization.CultureInfo.InvariantCulture, out var attempts) ? attempts : 0;
            }
        })
          // One message each: the one that is wrong is named (probe DG).
          .Validate(o => o.MaxAttempts >= 1, "APPLIANCE_WEBHOOK_MAX_ATTEMPTS must be a whole number of at least 1.")
          .Validate(o => o.BackoffBase > TimeSpan.Zero, "APPLIANCE_WEBHOOK_BACKOFF must be a positive time span (hh:mm:ss, e.g. 00:00:05).")
          .ValidateOnStart();
        // A receiver that redirects must not make us re-POST a signed body to wherever it points.
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddHostedService<WebhookDispatcher>();

        // Expiry: an in-memory Quartz scheduler per process; the store is the truth.
        services.AddQuartz(q =>
        {
            // Unique per host, so several gateways can live in one process (tests).
            q.ConfigureScheduler(o => o.InstanceName = "appliance-" + Guid.NewGuid().ToString("N"));
            q.UseInMemoryStore(o => o.MisfireThreshold = TimeSpan.FromSeconds(1));
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = 8);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
        services.AddSingleton<ExpiryScheduler>();
        services.AddTransient<ExpiryJob>();
        services.AddHostedService<ExpiryService>();
        return services;
    }
}
