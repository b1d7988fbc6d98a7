using Appliance.Chatops.Cards;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.Inbound;
using Appliance.Chatops.Slack.People;
using Appliance.Chatops.Slack.Web;

namespace Appliance.Chatops.Commands;

/// <summary>
/// Runs a <c>/hoop</c> command for the Slack user who typed it: parse (no I/O), find who they
/// are by email, then act through the gateway on their behalf so their permissions apply.
/// </summary>
internal sealed partial class CommandHandler(GatewayClient gateway, SlackDirectory people, CardPublisher cards, ILogger<CommandHandler> logger)
{
    public async Task<ChatReply> HandleAsync(SlashCommand command, CancellationToken ct)
    {
        var parsed = CommandParser.Parse(command.Text);
        switch (parsed)
        {
            case HelpCommand:
                return CommandReplies.Help;
            case InvalidCommand invalid:
                return CommandReplies.Invalid(invalid);
        }

        try
        {
            var user = await people.GetAsync(command.UserId, ct);
            if (user?.Email is not { } email)
            {
                return CommandReplies.NoEmail(command.UserId);
            }

            return parsed switch
            {
                RequestCommand request => await RequestAsync(email, request, ct),
                ListCommand => await ListAsync(email, ct),
                StatusCommand => await StatusAsync(email, ct),
                DecideCommand decide => await DecideAsync(email, decide, ct),
                DoneCommand done => await DoneAsync(email, done, ct),
                RevokeCommand revoke => await RevokeAsync(email, revoke, ct),
                ExtendCommand extend => await ExtendAsync(email, extend, ct),
                _ => CommandReplies.Help,
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or GatewayException)
        {
            Log.GatewayUnreachable(logger, ex);
            return CommandReplies.GatewayUnreachable;
        }
        catch (SlackApiException)
        {
            // Already logged with its method and error by the client.
            return CommandReplies.GatewayUnreachable with { Text = "⚠️ Slack did not answer as expected just now. Try again in a minute." };
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "The gateway could not be reached, or answered out of contract, for a /hoop command")]
        public static partial void GatewayUnreachable(ILogger logger, Exception exception);
    }
}
