using System.Net;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Sessions;
using Appliance.Gateway.Postgres.Startup;
using Appliance.Gateway.Postgres.Upstream;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Postgres;

internal static class PostgresGatewayExtensions
{
    /// <summary>
    /// The PostgreSQL gateway: its services, and a Kestrel endpoint on <c>APPLIANCE_PG_PORT</c>
    /// served by <see cref="PgConnectionHandler"/> over the gateway's own socket transport.
    /// </summary>
    public static WebApplicationBuilder AddPostgresGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PostgresListenerOptions>()
            .Configure<IConfiguration>((o, c) => PostgresListenerOptions.Bind(c, o))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<PostgresListenerOptions>>().Value);
        services.AddSingleton<PostgresListenerInfo>();
        services.AddSingleton<IConnectionListenerFactory, PgSocketTransportFactory>();
        services.AddSingleton<GatewayCertificate>();
        services.AddSingleton<UpstreamConnector>();
        services.AddSingleton<CutBackends>();
        services.AddSingleton<ColumnCatalogs>();
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<Loop.EventLoops>();
        services.AddSingleton<LargeStatementGate>();
        services.AddSingleton<SessionServices>();
        services.AddSingleton<ClientHandshake>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<PostgresListenerOptions>();
            return new HandshakeLimiter(options.MaxPendingHandshakes, options.MaxPendingHandshakesPerAddress);
        });
        services.AddSingleton<SessionCutter>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionCutter>());

        var listen = new PostgresListenerOptions();
        PostgresListenerOptions.Bind(builder.Configuration, listen);
        Hosting.GatewayOptions.ThrowIfInvalid(listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(new PgListenEndPoint(new IPEndPoint(IPAddress.IPv6Any, listen.Port)), endpoint => endpoint.UseConnectionHandler<PgConnectionHandler>()));
        return builder;
    }
}
