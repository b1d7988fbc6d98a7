using Appliance.Gateway.Access;
using Appliance.Gateway.Audit;
using Appliance.Gateway.ChatopsState;
using Appliance.Gateway.Configuration;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Operations;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Gateway.Store;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// Builds the gateway. <c>Program</c> runs it; tests build it with their own configuration and
/// real Kestrel ports, so what they exercise is what ships.
/// </summary>
public static class GatewayApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The gateway reads no appsettings.json, yet the default host watches for one with a
        // recursive watcher on the content root, usually the working directory that also holds
        // the data dir, the logs and, in a native install, the demo database: every write there
        // woke the watcher thread (575 inotify watches on a fresh install). The policy file has a
        // watcher of its own.
        var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        // Serilog writes the console; the default console provider would print every line twice.
        builder.Logging.ClearProviders();
        configure?.Invoke(builder);

        builder.Services.AddOptions<GatewayOptions>()
            .Configure<IConfiguration>((o, c) => GatewayOptions.Bind(c, o))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var options = new GatewayOptions();
        GatewayOptions.Bind(builder.Configuration, options);
        GatewayOptions.ThrowIfInvalid(options);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenAnyIP(options.HttpPort);
            kestrel.AddServerHeader = false;
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddGatewayLogging(builder.Configuration);
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = ProblemRules.AddMissingRule);
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        builder.Services.AddExceptionHandler<StoreFailureHandler>();
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            foreach (var converter in Store.StoreJson.Options.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }
        });
        builder.Services.AddPolicy(builder.Configuration);
        builder.Services.AddStore();
        builder.Services.AddIdentity();
        builder.Services.AddAccess(builder.Configuration);
        builder.Services.AddSingleton<AuditVerifier>();
        builder.Services.AddHostedService<AuditAnchorLog>();
        builder.Services.AddSingleton<GuardrailEvents>();
        builder.Services.AddSingleton<GatewayNode>();
        builder.Services.AddSingleton<SessionRecorder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SessionRecorder>());
        builder.Services.AddHostedService<OrphanedSessions>();
        builder.Services.AddSingleton<ChatopsClaimsPruner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ChatopsClaimsPruner>());
        Postgres.PostgresGatewayExtensions.AddPostgresGateway(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseHttpMetrics();
        app.Use(NulCharacters.RejectInQuery);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOperations();

        var api = app.MapGroup("/api").RequireAuthorization();
        api.MapIdentityApi();
        api.MapAccessApi();
        api.MapAuditApi();
        api.MapSessionsApi();
        api.MapChatopsStateApi();
        api.MapCertificateApi();
        return app;
    }
}
