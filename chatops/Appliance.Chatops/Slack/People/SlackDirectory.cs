using Appliance.Chatops.Slack.Web;

namespace Appliance.Chatops.Slack.People;

/// <summary>
/// Who a Slack user is to the appliance: people are matched by email (docs: Identity).
/// Both directions are cached for a while; Slack's users.* methods are rate limited (tier 4).
/// </summary>
internal sealed partial class SlackDirectory(SlackApiClient slack, TimeProvider time, ILogger<SlackDirectory> logger)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    private readonly TtlCache<SlackUser?> _byId = new(time, Ttl);
    private readonly TtlCache<SlackUser?> _byEmail = new(time, Ttl);

    /// <summary>The Slack user's profile (null when Slack does not know the id).</summary>
    public async Task<SlackUser?> GetAsync(string userId, CancellationToken ct)
    {
        if (_byId.TryGet(userId, out var cached))
        {
            return cached;
        }

        var user = await slack.GetUserAsync(userId, ct);
        _byId.Set(userId, user);
        if (user?.Email is null)
        {
            Log.NoEmail(logger, userId);
        }

        return user;
    }

    /// <summary>The Slack user with this email, to DM them (null when none).</summary>
    public async Task<SlackUser?> FindByEmailAsync(string email, CancellationToken ct)
    {
        var key = email.ToUpperInvariant();
        if (_byEmail.TryGet(key, out var cached))
        {
            return cached;
        }

        var user = await slack.LookupUserByEmailAsync(email, ct);
        _byEmail.Set(key, user);
        if (user is null)
        {
            Log.NoSlackUser(logger, email);
        }

        return user;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Slack user {UserId} has no email visible to the app (scope users:read.email?)")]
        public static partial void NoEmail(ILogger logger, string userId);

        [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "No Slack user has the email {Email}; cannot message them")]
        public static partial void NoSlackUser(ILogger logger, string email);
    }
}
