using Appliance.Gateway.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Appliance.Gateway.Identity;

internal static class IdentityServiceCollectionExtensions
{
    public const string Scheme = "appliance";
    public const string OidcScheme = "oidc";

    /// <summary>
    /// One bearer scheme for callers: tokens that look like JWTs go to OIDC validation when the
    /// policy configures an IdP; everything else to the appliance's own tokens.
    /// </summary>
    public static IServiceCollection AddIdentity(this IServiceCollection services)
    {
        services.AddSingleton<TokenStore>();
        services.AddSingleton<Store.IMigrationStep, TokenAdoption>();
        services.AddSingleton<PeopleDirectory>();
        services.AddSingleton<AuthFailureLimiter>();
        services.AddSingleton<NativeClientAuthenticator>();
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Appliance bearer tokens", options =>
            {
                options.ForwardDefaultSelector = context =>
                {
                    var token = TokenAuthenticationHandler.BearerToken(context.Request);
                    var oidc = context.RequestServices.GetRequiredService<IPolicyProvider>().Current.Identity.Oidc;
                    return oidc is not null && token is not null && token.Count(c => c == '.') == 2
                        && !TokenAuthenticationHandler.IsConfiguredServiceToken(context, token)
                        ? OidcScheme
                        : TokenAuthenticationHandler.SchemeName;
                };
            })
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null)
            .AddJwtBearer(OidcScheme);
        services.AddOptions<JwtBearerOptions>(OidcScheme).Configure<IPolicyProvider>(ConfigureOidc);
        services.AddAuthorization();
        return services;
    }

    /// <summary>
    /// The IdP settings are read when the scheme is first used; changing them in the policy needs
    /// a restart (the signing keys themselves are refreshed from the IdP's metadata as usual).
    /// </summary>
    private static void ConfigureOidc(JwtBearerOptions options, IPolicyProvider policy)
    {
        var oidc = policy.Current.Identity.Oidc;
        if (oidc is null)
        {
            return;
        }

        options.Authority = oidc.Authority;
        options.Audience = oidc.Audience;
        options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        options.MapInboundClaims = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudience = oidc.Audience,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
            NameClaimType = oidc.EmailClaim,
        };
        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = async context =>
            {
                var principal = context.Principal!;
                var email = principal.FindFirst(oidc.EmailClaim)?.Value;
                if (string.IsNullOrWhiteSpace(email))
                {
                    context.Fail($"The token has no '{oidc.EmailClaim}' claim.");
                    return;
                }

                // An address the IdP has not verified must not borrow a policy user's groups and roles.
                if (string.Equals(principal.FindFirst("email_verified")?.Value, "false", StringComparison.OrdinalIgnoreCase))
                {
                    context.Fail($"The IdP says {email} is not verified.");
                    return;
                }

                var groups = principal.FindAll(oidc.GroupsClaim)
                    .SelectMany(c => c.Value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                var people = context.HttpContext.RequestServices.GetRequiredService<PeopleDirectory>();
                var person = people.FromIdp(email, groups);
                await people.RememberIdpUserAsync(person.Email, groups, context.HttpContext.RequestAborted);
                context.Principal = ApplianceClaims.ToPrincipal(new Caller(person, AuthMethod.Oidc));
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Hosting.Problems.Write(context.HttpContext, StatusCodes.Status401Unauthorized, "invalid-token", "Invalid token",
                    context.AuthenticateFailure?.Message is { } m ? $"The OIDC token was refused: {m}" : "The OIDC token was refused.");
            },
        };
    }
}
