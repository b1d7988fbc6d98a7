using System.Security.Claims;

namespace Appliance.Gateway.Identity;

/// <summary>The claims the gateway puts on an authenticated principal, whatever proved it.</summary>
internal static class ApplianceClaims
{
    public const string Email = "appliance/email";
    public const string Group = "appliance/group";
    public const string Role = "appliance/role";
    public const string Method = "appliance/method";
    public const string TokenId = "appliance/token";
    public const string AuthenticationType = "appliance";
    private const string ServiceRole = "service";

    public static ClaimsPrincipal ToPrincipal(Caller caller)
    {
        var claims = new List<Claim>
        {
            new(Email, caller.Person.Email),
            new(Method, caller.Method.ToString()),
        };
        claims.AddRange(caller.Person.Groups.Select(g => new Claim(Group, g)));
        if (caller.Person.IsAdmin)
        {
            claims.Add(new Claim(Role, "admin"));
        }

        if (caller.Person.IsAuditor)
        {
            claims.Add(new Claim(Role, "auditor"));
        }

        if (caller.Person.IsService)
        {
            claims.Add(new Claim(Role, ServiceRole));
        }

        if (caller.TokenId is not null)
        {
            claims.Add(new Claim(TokenId, caller.TokenId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, AuthenticationType, Email, Role));
    }

    /// <summary>The caller of an authenticated request (routes under /api always have one).</summary>
    public static Caller GetCaller(this HttpContext context)
    {
        var user = context.User;
        var email = user.FindFirstValue(Email)
            ?? throw new InvalidOperationException("The request is not authenticated by the appliance scheme.");
        var roles = user.FindAll(Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var person = new Person(
            email,
            user.FindAll(Group).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            roles.Contains("admin"),
            roles.Contains("auditor"),
            roles.Contains(ServiceRole));
        return new Caller(person, Enum.Parse<AuthMethod>(user.FindFirstValue(Method)!), user.FindFirstValue(TokenId));
    }
}
