using System.Text.Encodings.Web;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Operations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Identity;

/// <summary>
/// Bearer tokens the gateway issues or is configured with: the bootstrap admin token, the chatops
/// service token (with <c>X-Appliance-On-Behalf-Of</c>), and personal access tokens. OIDC JWTs go
/// to the JwtBearer scheme instead (see <see cref="IdentityServiceCollectionExtensions"/>).
/// </summary>
internal sealed partial class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<GatewayOptions> gateway,
    TokenStore tokens,
    PeopleDirectory people)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "appliance-token";
    public const string OnBehalfOfHeader = "X-Appliance-On-Behalf-Of";
    public const string ChatopsServiceEmail = "chatops";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = BearerToken(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        var settings = gateway.Value;
        if (!string.IsNullOrEmpty(settings.AdminToken) && TokenHasher.FixedTimeEquals(token, settings.AdminToken))
        {
            return Success(new Caller(Person.BootstrapAdmin, AuthMethod.AdminToken));
        }

        if (!string.IsNullOrEmpty(settings.ChatopsToken) && TokenHasher.FixedTimeEquals(token, settings.ChatopsToken))
        {
            var onBehalfOf = Request.Headers[OnBehalfOfHeader].ToString().Trim();
            if (onBehalfOf.Length == 0)
            {
                var service = new Person(ChatopsServiceEmail, new HashSet<string>(), IsAdmin: false, IsAuditor: false, IsService: true);
                return Success(new Caller(service, AuthMethod.Chatops));
            }

            var person = await people.FindAsync(onBehalfOf, Context.RequestAborted);
            return person is null
                ? Fail(new UnknownUserException(onBehalfOf))
                : Success(new Caller(person, AuthMethod.Chatops));
        }

        var info = await tokens.ValidateAsync(token, Context.RequestAborted);
        if (info is null || info.Kind != TokenKind.Personal)
        {
            return Fail(new InvalidTokenException());
        }

        var owner = await people.FindAsync(info.UserEmail, Context.RequestAborted);
        return owner is null
            ? Fail(new UnknownUserException(info.UserEmail))
            : Success(new Caller(owner, AuthMethod.PersonalToken, info.Id));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        GatewayMetrics.AuthFailures.WithLabels("api").Inc();
        var (status, rule, title, detail) = result.Failure switch
        {
            UnknownUserException u => (StatusCodes.Status403Forbidden, "unknown-user", "Unknown user",
                $"No appliance user has the email {u.Email}. Ask an admin to add it to the policy's users."),
            InvalidTokenException => (StatusCodes.Status401Unauthorized, "invalid-token", "Invalid token",
                "The bearer token is unknown, revoked or expired."),
            _ => (StatusCodes.Status401Unauthorized, "authentication-required", "Authentication required",
                "Send Authorization: Bearer <token> (a personal access token, an OIDC token or the admin token)."),
        };
        if (status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
        }

        await Problems.Write(Context, status, rule, title, detail);
    }

    private AuthenticateResult Success(Caller caller) =>
        AuthenticateResult.Success(new AuthenticationTicket(ApplianceClaims.ToPrincipal(caller), SchemeName));

    private static AuthenticateResult Fail(Exception reason) => AuthenticateResult.Fail(reason);

    /// <summary>The admin or chatops token: never sent to JWT validation, whatever it looks like.</summary>
    public static bool IsConfiguredServiceToken(HttpContext context, string token)
    {
        var settings = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value;
        return TokenHasher.FixedTimeEquals(token, settings.AdminToken) || TokenHasher.FixedTimeEquals(token, settings.ChatopsToken);
    }

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7
            ? header[7..].Trim()
            : null;
    }
}

internal sealed class UnknownUserException(string email) : Exception($"Unknown user {email}")
{
    public string Email { get; } = email;
}

internal sealed class InvalidTokenException() : Exception("Invalid token");
