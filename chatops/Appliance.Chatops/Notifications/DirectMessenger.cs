using Appliance.Chatops.Slack.Inbound;
using Appliance.Chatops.Slack.People;
using Appliance.Chatops.Slack.Web;

namespace Appliance.Chatops.Notifications;

/// <summary>Sends a DM to the Slack user with a given email (<c>users.lookupByEmail</c> + <c>conversations.open</c>).</summary>
internal sealed partial class DirectMessenger(SlackApiClient slack, SlackDirectory people, TimeProvider time, ILogger<DirectMessenger> logger)
{
    private readonly TtlCache<string> _dmChannels = new(time, TimeSpan.FromHours(1));

    /// <summary>False when no Slack user has this email (nothing was sent).</summary>
    public async Task<bool> SendAsync(string email, ChatReply message, CancellationToken ct)
    {
        var user = await people.FindByEmailAsync(email, ct);
        if (user is null)
        {
            Log.Undeliverable(logger, email);
            return false;
        }

        if (!_dmChannels.TryGet(user.Id, out var channel))
        {
            channel = await slack.OpenDirectMessageAsync(user.Id, ct);
            _dmChannels.Set(user.Id, channel);
        }

        await slack.PostMessageAsync(channel, message.Text, message.Blocks, ct);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Cannot DM {Email}: no Slack user has that email")]
        public static partial void Undeliverable(ILogger logger, string email);
    }
}
