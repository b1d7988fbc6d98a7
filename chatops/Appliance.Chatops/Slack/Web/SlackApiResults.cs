namespace Appliance.Chatops.Slack.Web;

/// <summary>A message the bot posted: <c>chat.update</c> needs the channel id (not name) and ts.</summary>
internal sealed record PostedMessage(string Channel, string Ts);

/// <summary>The parts of a Slack user (<c>users.info</c>, <c>users.lookupByEmail</c>) chatops needs.</summary>
internal sealed record SlackUser(string Id, string? Email, string? Name);
