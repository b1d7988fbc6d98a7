using Appliance.Chatops.Configuration;
using Serilog;

namespace Appliance.Chatops.Operations;

/// <summary>Serilog to the console, and to Seq when <c>SEQ_URL</c> is set.</summary>
internal static class LoggingSetup
{
    public static WebApplicationBuilder AddChatopsLogging(this WebApplicationBuilder builder)
    {
        // One logger per host (not the static Log.Logger), so tests can run several apps in one process.
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
                .MinimumLevel.Override("System.Net.Http.HttpClient", Serilog.Events.LogEventLevel.Warning)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Service", "chatops")
                .WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);

            var seq = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ChatopsOptions>>().Value.SeqUrl;
            if (seq is not null && Uri.TryCreate(seq, UriKind.Absolute, out _))
            {
                logger.WriteTo.Seq(seq, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        return builder;
    }
}
