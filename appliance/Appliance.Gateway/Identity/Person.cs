namespace Appliance.Gateway.Identity;

/// <summary>
/// Someone the gateway acts for: their email, groups (config and IdP) and roles. <paramref name="IsService"/>
/// marks the chatops service calling for itself; only its token sets it, never an email.
/// </summary>
internal sealed record Person(string Email, IReadOnlySet<string> Groups, bool IsAdmin, bool IsAuditor, bool IsService = false)
{
    /// <summary>The bootstrap admin token's identity: all admin rights, no access rights of its own.</summary>
    public static Person BootstrapAdmin { get; } = new("admin", new HashSet<string>(), IsAdmin: true, IsAuditor: true);

    /// <summary>May see every request, session and audit record.</summary>
    public bool CanAudit => IsAdmin || IsAuditor;
}

/// <summary>How the caller proved who they are.</summary>
internal enum AuthMethod
{
    AdminToken,
    PersonalToken,
    Oidc,
    Chatops,
}

/// <summary>The authenticated caller of an API route.</summary>
internal sealed record Caller(Person Person, AuthMethod Method, string? TokenId = null)
{
    public string Email => Person.Email;

    /// <summary>How events name this caller: "alice@example.com", or "alice@example.com via chatops".</summary>
    public string Actor => Method == AuthMethod.Chatops ? $"{Person.Email} via chatops" : Person.Email;
}
