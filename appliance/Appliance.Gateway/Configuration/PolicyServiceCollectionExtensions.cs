using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Gateway.Configuration;

internal static class PolicyServiceCollectionExtensions
{
    /// <summary>
    /// The policy from <c>APPLIANCE_CONFIG</c>: loaded when the host starts (an invalid file
    /// stops the start with every error listed), then watched and reloaded.
    /// <c>${NAME}</c> in the file is read from <paramref name="configuration"/> (which holds the
    /// environment), then from the process environment.
    /// </summary>
    public static IServiceCollection AddPolicy(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
            PolicyFileOptions.From(configuration, sp.GetRequiredService<IHostEnvironment>().ContentRootPath));
        services.TryAddSingleton(sp => new PolicyProvider(
            sp.GetRequiredService<PolicyFileOptions>(),
            name => configuration[name] ?? Environment.GetEnvironmentVariable(name),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PolicyProvider>>()));
        services.TryAddSingleton<IPolicyProvider>(sp => sp.GetRequiredService<PolicyProvider>());

        // As a hosted service it is created, so loaded and validated, when the host starts, not
        // on the first request that needs it.
        services.AddHostedService(sp => sp.GetRequiredService<PolicyProvider>());
        return services;
    }
}
