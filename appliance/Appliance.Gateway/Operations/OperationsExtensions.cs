using Appliance.Gateway.Hosting;
using Appliance.Gateway.Store;
using Dapper;
using Microsoft.Extensions.Options;
using Prometheus;
using Serilog;
using Serilog.Events;

namespace Appliance.Gateway.Operations;

internal static class OperationsExtensions
{
    /// <summary>Serilog to the console and, when <c>SEQ_URL</c> is set, to Seq; one logger per host.</summary>
    public static IServiceCollection AddGatewayLogging(this IServiceCollection services, IConfiguration configuration)
    {
        var seqUrl = configuration["SEQ_URL"];
        var seqApiKey = configuration["SEQ_API_KEY"];
        // preserveStaticLogger: each host keeps its own logger. Sharing the static Log.Logger would
        // send every host's entries to the last one started, and stopping any host would silence
        // them all. writeToProviders: other ILoggerProviders (e.g. a test's capture) see every entry.
        services.AddSerilog((_, logger) =>
        {
            logger
                .MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
                .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
                .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
                // The authentication handler logs every challenge at Information; refusals are counted in /metrics.
                .MinimumLevel.Override(typeof(Identity.TokenAuthenticationHandler).FullName!, LogEventLevel.Warning)
                // Nothing here uses Data Protection (no cookies, no antiforgery); its key-ring warnings are noise.
                .MinimumLevel.Override("Microsoft.AspNetCore.DataProtection", LogEventLevel.Error)
                .Filter.ByExcluding(StartupFailure.IsHostEntryForOperatorFailure)
                .Enrich.FromLogContext()
                .Enrich.With<Appliance.Logging.LogControlCharacters>()
                .Enrich.WithProperty("Application", "appliance-gateway")
                .WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            if (!string.IsNullOrWhiteSpace(seqUrl))
            {
                logger.WriteTo.Seq(seqUrl, apiKey: string.IsNullOrWhiteSpace(seqApiKey) ? null : seqApiKey, period: TimeSpan.FromMilliseconds(500));
            }
        }, preserveStaticLogger: true, writeToProviders: true);
        return services;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapGet("/healthz", async (StoreDatabase database, Audit.SessionRecorder recorder, HttpContext context) =>
        {
            try
            {
                await database.PingAsync(context.RequestAborted);
                if (recorder.IsFailing)
                {
                    // Reachable but refusing writes (read-only, full): sessions are refused until it takes them.
                    return Problems.Result(503, "audit-failing", "Audit log failing",
                        "The gateway's store does not take the audit log's writes; new sessions are refused until it does.");
                }

                return Results.Ok(new { status = "ok", store = database.Dialect.ToString().ToLowerInvariant() });
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                return Problems.Result(503, "store-unreachable", "Store unreachable", "The gateway cannot reach its store.");
            }
        });

        // Counted from this gateway's store just before its scrape. Not in a registry callback: the
        // registry is process-wide, and with several gateways in one process (tests) the last one
        // started would answer for all of them.
        app.UseWhen(c => c.Request.Path == "/metrics", branch => branch.Use(async (context, next) =>
        {
            try
            {
                await using var connection = await app.Services.GetRequiredService<StoreDatabase>().OpenAsync(context.RequestAborted);
                GatewayMetrics.ActiveGrants.Set(await connection.ExecuteScalarAsync<long>(
                    "SELECT count(*) FROM requests WHERE status = 'active' AND kind = 'access'"));
            }
            catch (System.Data.Common.DbException)
            {
                // The health check reports an unreachable store; the gauge keeps its last value.
            }

            await next(context);
        }));
        app.MapMetrics("/metrics");
        return app;
    }
}
