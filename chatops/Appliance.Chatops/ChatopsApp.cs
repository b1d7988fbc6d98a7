using Appliance.Chatops.Cards;
using Appliance.Chatops.Commands;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Events;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Interactions;
using Appliance.Chatops.Notifications;
using Appliance.Chatops.Operations;
using Appliance.Chatops.Slack.Http;
using Appliance.Chatops.Slack.Inbound;
using Appliance.Chatops.Slack.People;
using Appliance.Chatops.Slack.Signing;
using Appliance.Chatops.Slack.SocketMode;
using Appliance.Chatops.Slack.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops;

/// <summary>
/// Builds the chatops service. <c>Program</c> runs it; tests build it with
/// <paramref name="configure"/> to listen on loopback port 0 and point it at emulators.
/// </summary>
public static class ChatopsApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // No appsettings.json to reload: without this the default host keeps a recursive watcher
        // on the working directory (the gateway's data and logs in a native install).
        var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        builder.AddChatopsLogging();
        builder.Services.AddChatops();
        configure?.Invoke(builder);

        // CHATOPS_HTTP_PORT unless the host was told where to listen (ASPNETCORE_URLS, tests).
        if (string.IsNullOrEmpty(builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey)))
        {
            var port = builder.Configuration["CHATOPS_HTTP_PORT"] is { Length: > 0 } text && ChatopsOptionsValidator.TryParsePort(text, out var p)
                ? p
                : ChatopsOptions.DefaultHttpPort;
            builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        }

        var app = builder.Build();
        app.MapHealthApi();
        app.MapSlackHttpApi();
        app.MapEventsApi();
        return app;
    }

    /// <summary>The address the started app listens on (port 0 resolved).</summary>
    public static Uri ListeningAddress(this WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    internal static IServiceCollection AddChatops(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IConfigureOptions<ChatopsOptions>, ChatopsOptionsSetup>();
        services.AddSingleton<IValidateOptions<ChatopsOptions>, ChatopsOptionsValidator>();
        services.AddOptions<ChatopsOptions>().ValidateOnStart();

        services.AddSingleton<BackgroundWork>();
        services.AddHostedService(sp => sp.GetRequiredService<BackgroundWork>());

        // The clients live in singletons, so connection lifetime (not handler rotation) picks up DNS changes.
        services.AddHttpClient<GatewayClient>().UseSocketsHttpHandler((h, _) => h.PooledConnectionLifetime = TimeSpan.FromMinutes(5)).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddHttpClient<SlackApiClient>().UseSocketsHttpHandler((h, _) => h.PooledConnectionLifetime = TimeSpan.FromMinutes(5)).SetHandlerLifetime(Timeout.InfiniteTimeSpan);

        services.AddSingleton<SlackRequestVerifier>();
        services.AddSingleton<SlackDirectory>();
        services.AddSingleton<CardPublisher>();
        services.AddSingleton<DirectMessenger>();
        services.AddSingleton<RequesterNotifier>();
        services.AddSingleton<GuardrailNotifier>();
        services.AddSingleton<EventRouter>();
        services.AddSingleton<CommandHandler>();
        services.AddSingleton<SlashCommandProcessor>();
        services.AddSingleton<InteractionProcessor>();
        services.AddSingleton<SocketModeService>();
        services.AddHostedService(sp => sp.GetRequiredService<SocketModeService>());
        return services;
    }
}
