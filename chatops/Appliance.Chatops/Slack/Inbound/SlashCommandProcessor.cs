using System.Text.Json.Nodes;
using Appliance.Chatops.Commands;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Operations;
using Appliance.Chatops.Slack.Web;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Slack.Inbound;

/// <summary>
/// Turns a slash command into Slack's acknowledgement, whichever transport brought it. The
/// answer rides on the acknowledgement when it is ready within the budget (well inside
/// Slack's 3 s); otherwise Slack gets "working on it" at once and the answer follows through
/// the command's response_url.
/// </summary>
internal sealed class SlashCommandProcessor(
    CommandHandler handler, SlackApiClient slack, BackgroundWork work, IOptions<ChatopsOptions> options, TimeProvider time)
{
    private static readonly ChatReply Working = new("⏳ Working on it…");
    private static readonly ChatReply Failed = new("⚠️ Something went wrong handling that command; it has been logged. Try again, or tell an admin.");

    public async Task<JsonObject> AcknowledgeAsync(SlashCommand command)
    {
        var reply = work.Start("/hoop command", ct => handler.HandleAsync(command, ct));
        if (await AckBudget.FinishesWithinAsync(reply, options.Value.AckBudget, time))
        {
            return (await reply ?? Failed).ToEphemeral();
        }

        _ = work.Start("/hoop late reply", async ct =>
        {
            var late = await reply ?? Failed;
            if (command.ResponseUrl is { } url)
            {
                await slack.PostToResponseUrlAsync(url, late.ToEphemeral(replaceOriginal: true), ct);
            }
        });
        return Working.ToEphemeral();
    }
}
