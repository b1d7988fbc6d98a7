using System.Globalization;
using Serilog;
using Serilog.Events;

namespace Appliance.Chatops.Operations;

/// <summary>Serilog to the console, and to Seq when <c>SEQ_URL</c> is set (with <c>SEQ_API_KEY</c> if Seq wants one).</summary>
internal static class LoggingSetup
{
    public static WebApplicationBuilder AddChatopsLogging(this WebApplicationBuilder builder)
    {
        // Serilog writes the console; other providers (a test's capture) still get every event.
        builder.Logging.ClearProviders();

        // One logger per host (not the static Log.Logger), so tests can run several apps in one
        // process: without preserveStaticLogger each host also set the static logger, and the
        // first host to stop closed it under the others, whose entries then went nowhere.
        builder.Services.AddSerilog((_, logger) => Configure(logger, builder.Configuration), preserveStaticLogger: true, writeToProviders: true);
        return builder;
    }

    private static void Configure(LoggerConfiguration logger, IConfiguration configuration)
    {
        logger.MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
            .ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext()
            .Enrich.With<Appliance.Logging.LogControlCharacters>()
            .Enrich.WithProperty("Service", "chatops")
            .WriteTo.Console(formatProvider: CultureInfo.InvariantCulture);

        // Read directly, not through the options: a bad value must reach the validator's report, not fail logging.
        var seq = configuration["SEQ_URL"];
        if (!string.IsNullOrWhiteSpace(seq) && Uri.TryCreate(seq, UriKind.Absolute, out _))
        {
            var apiKey = configuration["SEQ_API_KEY"] is { Length: > 0 } key ? key : null;
            logger.WriteTo.Seq(seq, apiKey: apiKey, formatProvider: CultureInfo.InvariantCulture);
        }
    }
}
