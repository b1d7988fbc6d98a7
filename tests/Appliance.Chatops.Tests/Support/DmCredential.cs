using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Npgsql;

namespace Appliance.Chatops.Tests.Support;

/// <summary>
/// The connection a requester copies from their credential DM: the <c>postgresql://</c> URI of
/// its <c>psql "…"</c> line, read the way libpq reads it (percent-decoded user, password and
/// database; <c>sslmode</c> from the query), made into Npgsql settings.
/// </summary>
internal sealed partial record DmCredential(string Host, int Port, string User, string Database, string Password, SslMode SslMode)
{
    public static DmCredential Parse(string dmText)
    {
        // Slack shows mrkdwn's &amp; &lt; &gt; as the characters themselves; so does a user's copy.
        var text = WebUtility.HtmlDecode(dmText);
        var match = PsqlLine().Match(text);
        Assert.True(match.Success, $"no psql line in the DM: {dmText}");
        var uri = new Uri(match.Groups["uri"].Value);
        Assert.Equal("postgresql", uri.Scheme);

        var userInfo = uri.UserInfo.Split(':', 2);
        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty, StringComparer.Ordinal);
        return new DmCredential(
            uri.Host,
            uri.Port,
            Uri.UnescapeDataString(userInfo[0]),
            Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            Uri.UnescapeDataString(userInfo[1]),
            query.TryGetValue("sslmode", out var mode) ? SslModeOf(mode) : SslMode.Prefer);
    }

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = User,
        Database = Database,
        Password = Password,
        SslMode = SslMode,
        Pooling = false,
        Timeout = 15,
        CommandTimeout = 15,
    }.ConnectionString;

    /// <summary>libpq's names (<c>verify-full</c>) as Npgsql's (<c>VerifyFull</c>).</summary>
    private static SslMode SslModeOf(string libpq) =>
        Enum.Parse<SslMode>(libpq.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true);

    [GeneratedRegex(@"psql ""(?<uri>postgresql://[^""\s]+)""")]
    private static partial Regex PsqlLine();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{User}@{Host}:{Port}/{Database} sslmode={SslMode}");
}
